"""A small town for the search tests: three shops and a handful of products, as catalog events carry them."""

from __future__ import annotations

import hashlib

CENTRE = (50.4790, 9.5230)

ALWAYS_OPEN = {d: [["00:00", "24:00"]] for d in ("mo", "tu", "we", "th", "fr", "sa", "su")}
NEVER_OPEN = {d: [] for d in ("mo", "tu", "we", "th", "fr", "sa", "su")}


def vendors(prefix: str) -> list[dict]:
    base = {"kind": "", "street": "Markt 1", "postcode": "36148", "city": "Lindenau", "timezone": "Europe/Berlin"}
    return [
        {
            **base,
            "vendor_id": f"{prefix}-mode",
            "name": "Modehaus Müller",
            "lat": 50.4792,
            "lon": 9.5237,
            "opening_hours": ALWAYS_OPEN,
            "fulfilment": ["pickup", "delivery"],
        },
        {
            **base,
            "vendor_id": f"{prefix}-rad",
            "name": "Radhaus Speiche",
            "lat": 50.4745,
            "lon": 9.5315,
            "opening_hours": NEVER_OPEN,
            "fulfilment": ["pickup"],
        },
        {
            **base,
            "vendor_id": f"{prefix}-fern",
            "name": "Fernhandel Eichrode",
            "lat": 50.5600,
            "lon": 9.7000,
            "opening_hours": ALWAYS_OPEN,
            "fulfilment": ["delivery"],
        },
    ]


def product(vendor_id: str, sku: str, title: str, category: str, price: str, available: int = 5, **extra) -> dict:
    return {
        "vendor_id": vendor_id,
        "sku": sku,
        "gtin": extra.pop("gtin", "4" + str(int(hashlib.sha1(f"{vendor_id}/{sku}".encode()).hexdigest(), 16))[:12]),
        "title": title,
        "description": extra.pop("description", ""),
        "brand": extra.pop("brand", ""),
        "category": category,
        "price": price,
        "attributes": extra.pop("attributes", {}),
        "available": available,
        **extra,
    }


def products(prefix: str) -> list[dict]:
    mode, rad, fern = f"{prefix}-mode", f"{prefix}-rad", f"{prefix}-fern"
    return [
        product(
            mode,
            "J1",
            "Damen Regenjacke, gelb, Gr. M",
            "Mode > Damen > Jacken",
            "79.90",
            attributes={"farbe": "gelb", "größe": "M"},
            brand="Rainwear",
        ),
        product(mode, "J2", "Herren Jacke für Regen und Wind", "Mode > Herren > Jacken", "59.00", available=0),
        product(mode, "S1", "Wollschal, grau", "Mode > Accessoires > Schals & Mützen", "19.90", available=0),
        product(fern, "S2", "Wollschal, grau", "Mode > Accessoires > Schals & Mützen", "19.90"),
        product(
            rad,
            "H1",
            "Fahrradhelm Urban, schwarz",
            "Sport & Freizeit > Fahrrad > Fahrradhelme",
            "49.90",
            gtin="4003318123456",
            brand="ABUS",
        ),
        product(
            rad, "L1", "Fahrradschloss Bordo 6000", "Sport & Freizeit > Fahrrad > Schlösser", "89.00", brand="ABUS"
        ),
        product(
            fern,
            "H2",
            "Fahrradhelm Kinder, blau",
            "Sport & Freizeit > Fahrrad > Fahrradhelme",
            "29.90",
            gtin="4003318123456",
        ),
        product(
            fern,
            "K1",
            "Kaffeemühle aus Holz",
            "Haushalt > Küche > Kaffeezubereitung",
            "34.50",
            description="Handmühle mit Keramikmahlwerk",
        ),
        product(
            fern,
            "B1",
            "Atemschaukel – Roman",
            "Bücher > Belletristik > Romane",
            "14.00",
            attributes={"autor": "Herta Müller"},
        ),
    ]
