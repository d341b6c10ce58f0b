"""A nameko timer whose interval comes from the service's config, so operators and tests can change it.

Example::

    @every("RESERVATION_SWEEP_SECONDS", 30.0)
    def release_expired_reservations(self): ...
"""

from __future__ import annotations

from nameko.timer import Timer


class ConfiguredTimer(Timer):
    def __init__(self, setting: str, default: float, **kwargs):
        self.setting = setting
        super().__init__(interval=default, **kwargs)

    def setup(self):
        self.interval = float(self.container.config.get(self.setting, self.interval))
        super().setup()


every = ConfiguredTimer.decorator
