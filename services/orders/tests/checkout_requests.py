"""Checkout requests as a frontend would send them."""


def shopper(name="Anna Schmidt", email="anna.schmidt@example.de", language="de"):
    return {"name": name, "email": email, "phone": "+49 341 555 0101", "language": language}


def line(vendor_id, sku, quantity=1):
    return {"vendor_id": vendor_id, "sku": sku, "quantity": quantity}
