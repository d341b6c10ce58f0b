from datetime import UTC, datetime

import pytest

from gateway.domain.authorization import Audience, Decision, decide
from gateway.domain.keys import ANONYMOUS, OPERATOR, Principal, Role, generate_key, parse_key, secret_matches
from gateway.domain.opening_hours import is_open
from gateway.domain.rate_limits import judge, window_at


def test_a_key_is_random_and_only_its_hash_is_kept():
    first, second = generate_key(), generate_key()
    assert first.plaintext != second.plaintext and first.key_id != second.key_id
    assert first.plaintext not in first.secret_hash
    presented = parse_key(first.plaintext)
    assert presented.key_id == first.key_id
    assert secret_matches(presented.secret, first.secret_hash)
    assert not secret_matches(parse_key(second.plaintext).secret, first.secret_hash)


@pytest.mark.parametrize("text", ["", "mpk_", "nonsense", "mpk_zz_abc", "Bearer mpk_0123456789abcdef_x"])
def test_a_malformed_key_is_not_parsed(text):
    assert parse_key(text) is None


A = Principal(Role.RETAILER, "k1", "vendor-a")


@pytest.mark.parametrize(
    ("audience", "principal", "vendor", "expected"),
    [
        (Audience.PUBLIC, ANONYMOUS, None, Decision.ALLOW),
        (Audience.RETAILER, ANONYMOUS, "vendor-a", Decision.UNAUTHENTICATED),
        (Audience.RETAILER, A, "vendor-a", Decision.ALLOW),
        (Audience.RETAILER, A, "vendor-b", Decision.FORBIDDEN),
        (Audience.RETAILER, OPERATOR, "vendor-b", Decision.ALLOW),
        (Audience.OPERATOR, A, None, Decision.FORBIDDEN),
        (Audience.OPERATOR, ANONYMOUS, None, Decision.UNAUTHENTICATED),
        (Audience.OPERATOR, OPERATOR, None, Decision.ALLOW),
    ],
)
def test_a_retailer_acts_only_on_its_own_vendor(audience, principal, vendor, expected):
    assert decide(audience, principal, vendor) is expected


def test_rate_limit_refuses_past_the_limit_until_the_window_ends():
    window = window_at(1000.5, 60)
    assert (window.start, window.end) == (960, 1020)
    assert judge(3, 3, window, 1000.5).allowed
    refused = judge(4, 3, window, 1000.5)
    assert not refused.allowed and refused.retry_after == 20


def test_a_shop_is_open_within_its_hours_in_its_own_time_zone():
    hours = {"mo": [["09:00", "18:00"]]}
    monday_10_berlin = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)  # 10:00 CEST
    monday_19_berlin = datetime(2025, 6, 2, 17, 0, tzinfo=UTC)
    assert is_open(hours, "Europe/Berlin", monday_10_berlin)
    assert not is_open(hours, "Europe/Berlin", monday_19_berlin)
    assert not is_open({}, "Europe/Berlin", monday_10_berlin)
