"""The bulk importer on the Lindenau demo files, and on CSV with bad lines."""

from pathlib import Path

from sqlalchemy import func, select

from catalog import handlers
from catalog.importer import main as importer
from marktplatz_shared.db import outbox_table

DEMO = Path(__file__).resolve().parents[3] / "demo-data"


def outbox_size(engine):
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(outbox_table)).scalar_one()


def test_the_lindenau_files_import_completely_and_a_second_run_changes_nothing(db_url, engine, db, capsys):
    args = [
        "--vendors",
        str(DEMO / "vendors.jsonl"),
        "--products",
        str(DEMO / "products.jsonl"),
        "--database-url",
        db_url,
    ]
    assert importer(args) == 0
    assert "products upserted 633" in capsys.readouterr().out
    events = outbox_size(engine)
    vendors = handlers.list_vendors(db, None, 100)["vendors"]
    assert len(vendors) == 25
    product = handlers.get_product(db, "v-lin-01", "SW-64735")
    assert (product["price"], product["available"]) == ("14.00", 22)

    assert importer(args) == 0
    assert "products unchanged 633" in capsys.readouterr().out
    assert outbox_size(engine) == events
    assert handlers.get_product(db, "v-lin-01", "SW-64735") == product


def test_csv_import_reports_each_rejected_line_and_imports_the_rest(db_url, db, tmp_path, capsys):
    vendors = tmp_path / "vendors.csv"
    vendors.write_text(
        "id,name,street,postcode,city,lat,lon,opening_hours,fulfilment\n"
        'v-csv-1,Laden Eins,Markt 1,36148,Lindenau,50.47,9.52,"{""mo"": [[""09:00"", ""18:00""]]}",pickup|delivery\n'
        "v-csv-2,Laden Zwei,Markt 2,36148,Lindenau,north,9.52,,pickup\n",
        encoding="utf-8",
    )
    products = tmp_path / "products.csv"
    products.write_text(
        "vendor_id,sku,gtin,title,category,price,quantity,attributes\n"
        'v-csv-1,A-1,4006381333931,Helm,Sport > Helme,19.90,3,"{""farbe"": ""rot""}"\n'
        "v-csv-1,A-2,4006381333932,Helm,Sport > Helme,19.90,3,\n"
        "v-csv-1,A-3,4006381333931,Helm,Sport > Helme,-1.00,3,\n"
        "v-csv-1,A-4,4006381333931,Helm,Sport > Helme,1.00,-3,\n"
        "v-nope,A-5,4006381333931,Helm,Sport > Helme,1.00,3,\n"
        "v-csv-1,A-6,4006381333931,Helm\n",
        encoding="utf-8",
    )
    code = importer(["--vendors", str(vendors), "--products", str(products), "--database-url", db_url])
    assert code == 1
    errors = capsys.readouterr().err.splitlines()
    assert [line.split(": rejected: ")[0].rsplit(":", 1)[1] for line in errors] == ["3", "3", "4", "5", "6", "7"]
    assert "lat: not a number" in errors[0]
    assert "invalid check digit" in errors[1] and "must not be negative" in errors[2]
    assert "quantity" in errors[3] and "unknown vendor" in errors[4] and "4 fields" in errors[5]
    product = handlers.get_product(db, "v-csv-1", "A-1")
    assert (product["available"], product["attributes"]) == (3, {"farbe": "rot"})
    assert handlers.get_vendor(db, "v-csv-1")["fulfilment"] == ["delivery", "pickup"]
