"""Marktplatz POS connector: read stock exports of a till or merchandise system and push them to the
marketplace as ``pos`` events (``stock_reported``, ``stock_adjusted``) over AMQP, with publisher confirms."""
