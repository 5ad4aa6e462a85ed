"""The routes the workflow canvas reads: the step kinds with their fields, and live validation of unsaved text."""

GOOD = """format: graft.workflow/v1
name: canvas
steps:
  - {name: base, kind: train, network: {template: mlp}, data: mnist, epochs: 1}
  - {name: test, kind: evaluate, model: {step: base}}
"""


def test_step_kinds_carry_the_schema_fields_and_defaults(client):
    kinds = {k["kind"]: k for k in client.get("/api/workflow-steps").json()}
    assert {"train", "slice", "evaluate", "view", "import_dataset", "pretrain"} <= set(kinds)
    train = kinds["train"]["params"]
    assert "network" in train["required"] and train["properties"]["epochs"]["default"] >= 1
    assert kinds["evaluate"]["result"] == "evaluation" and kinds["slice"]["result"] == "model"
    assert kinds["view"]["params"]["properties"]["page_size"]["default"] == 20


def test_validation_names_the_step_of_every_issue_and_never_fails(client):
    assert client.post("/api/workflows/validate", json={"yaml": GOOD}).json() == {"ok": True, "issues": []}
    bad = GOOD.replace("epochs: 1", "epochs: many").replace("{step: base}", "{step: nowhere}")
    r = client.post("/api/workflows/validate", json={"yaml": bad})
    assert r.status_code == 200
    issues = r.json()["issues"]
    assert {i["node"] for i in issues} == {"base"} and issues[0]["field"].endswith("epochs")
    r = client.post("/api/workflows/validate", json={"yaml": GOOD.replace("{step: base}", "{step: nowhere}")})
    (issue,) = r.json()["issues"]
    assert (issue["node"], issue["field"], issue["found"]) == ("test", "model", "nowhere")
    for text in ("steps: [unclosed", "- just a list", ""):
        r = client.post("/api/workflows/validate", json={"yaml": text})
        assert r.status_code == 200 and r.json()["ok"] is False and r.json()["issues"][0]["message"]
