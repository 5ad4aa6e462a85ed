"""The Data page's one upload holding a Hugging Face folder: a zip of a save_to_disk folder is previewed and
imported as kind hf with its splits, a zip-slip member is a 422 naming the member, and the workspace's tmp/
holds nothing afterwards."""
from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pyarrow as pa
from PIL import Image

FEATURES = {"image": {"_type": "Image"}, "label": {"_type": "ClassLabel", "names": ["cat", "dog"]}}


def png(seed: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (6, 6, 3)).astype(np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def saved_zip(counts: dict[str, int], extra: dict[str, bytes] | None = None) -> bytes:
    """pets/ as DatasetDict.save_to_disk writes it, zipped with its top folder."""
    schema = pa.schema([("image", pa.struct([("bytes", pa.binary()), ("path", pa.string())])),
                        ("label", pa.int64())])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("pets/dataset_dict.json", json.dumps({"splits": list(counts)}))
        for s, (split, n) in enumerate(counts.items()):
            rows = pa.table({"image": [{"bytes": png(100 * s + i), "path": None} for i in range(n)],
                             "label": [i % 2 for i in range(n)]}, schema=schema)
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, schema) as writer:
                writer.write_table(rows)
            zf.writestr(f"pets/{split}/data-00000-of-00001.arrow", sink.getvalue().to_pybytes())
            zf.writestr(f"pets/{split}/dataset_info.json", json.dumps({"features": FEATURES}))
            zf.writestr(f"pets/{split}/state.json", json.dumps({"_split": split}))
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_a_zipped_save_to_disk_upload_previews_and_imports_as_hf(client, app):
    body = saved_zip({"train": 8, "test": 4})
    preview = client.post("/api/datasets/inspect", files={"file": ("pets.zip", body, "application/zip")})
    assert preview.status_code == 200, preview.text
    found = preview.json()
    assert found["format"] == "hf" and found["display_name"] == "pets.zip" and found["classes"] == ["cat", "dog"]
    assert {s: v["count"] for s, v in found["splits"].items()} == {"train": 8, "test": 4}
    assert len(found["samples"]["items"]) == 12
    made = client.post("/api/datasets/import", files={"file": ("pets.zip", body, "application/zip")})
    assert made.status_code in (200, 201), made.text
    rec = made.json()
    assert rec["kind"] == "hf" and rec["sizes"] == {"train": 8, "test": 4} and rec["name"] == "pets"
    assert list(app.state.ws.tmp.iterdir()) == []


def test_a_zip_slip_member_in_an_hf_upload_is_422_naming_it(client, app, detail):
    body = saved_zip({"train": 2}, {"pets/../../../evil.json": b"{}"})
    resp = client.post("/api/datasets/import", files={"file": ("pets.zip", body, "application/zip")})
    assert resp.status_code == 422
    message = detail(resp)["message"]
    assert message.startswith("pets.zip:pets/../../../evil.json: member name leaves the archive")
    assert app.state.ws.list_datasets() == []
    assert list(app.state.ws.tmp.iterdir()) == []
