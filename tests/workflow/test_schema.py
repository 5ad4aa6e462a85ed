import pytest

from graft.spec.issues import SpecError
from graft.workflow import parse_workflow


def step(name, kind, **kw):
    return {"name": name, "kind": kind, **kw}


def test_valid_workflow_parses():
    wf = parse_workflow({"steps": [
        step("base", "train", network={"template": "mlp"}),
        step("f", "slice", model={"step": "base"}, end="flatten"),
        step("t", "evaluate", model={"step": "base"}),
        step("v", "view", source={"step": "t"}),
    ]})
    assert [s.kind for s in wf.steps] == ["train", "slice", "evaluate", "view"]


def test_every_problem_is_reported_at_once():
    with pytest.raises(SpecError) as err:
        parse_workflow({"steps": [
            step("base", "train", network={"template": "mlp"}, epochs=0),
            step("t", "evaluate", model={"step": "base"}, colour="red"),
            step("x", "teleport"),
        ]})
    fields = [i.field for i in err.value.issues]
    assert any(f.endswith("epochs") for f in fields)
    assert any(f.endswith("colour") for f in fields)
    assert any("1" in f for f in fields) and len(err.value.issues) >= 3


def test_an_unknown_field_names_the_step_and_lists_the_fields_its_kind_takes():
    with pytest.raises(SpecError) as err:
        parse_workflow({"steps": [step("base", "train", network={"template": "mlp"}, gpus=2)]})
    issue = err.value.issues[0]
    assert (issue.node, issue.field, issue.found) == ("base", "steps.0.gpus", 2)
    assert "epochs" in issue.expected and "device" in issue.expected and "gpus" not in issue.expected
    assert str(issue) == (f"base.steps.0.gpus: a train step has no field 'gpus' "
                          f"(expected {issue.expected}, found 2)")


def test_reference_to_a_later_or_missing_step_names_the_step():
    with pytest.raises(SpecError) as err:
        parse_workflow({"steps": [
            step("t", "evaluate", model={"step": "base"}),
            step("base", "train", network={"template": "mlp"}),
        ]})
    issue = err.value.issues[0]
    assert (issue.code, issue.node, issue.found) == ("unknown_step", "t", "base")


def test_foundation_reference_inside_a_network_is_checked():
    net = {"input": {"shape": [1, 28, 28]},
           "nodes": [{"id": "b", "type": "Foundation", "params": {"ref": {"step": "nope"}}, "inputs": ["input"]}]}
    with pytest.raises(SpecError) as err:
        parse_workflow({"steps": [step("h", "train", network=net)]})
    assert err.value.issues[0].field == "network.b.params.ref"


def test_no_field_can_name_code():
    with pytest.raises(SpecError):
        parse_workflow({"steps": [step("x", "train", network={"template": "mlp"},
                                       callback="os.system")]})


def test_semi_supervised_train_step_parses_with_defaults_and_refuses_unknown_options():
    wf = parse_workflow({"steps": [step("h", "train", network={"template": "mlp"},
                                        semi_supervised={"unlabeled": "mnist", "k": 15})]})
    semi = wf.steps[0].semi_supervised
    assert (semi.k, semi.alpha, semi.method) == (15, 0.99, "label_propagation")
    with pytest.raises(SpecError) as err:
        parse_workflow({"steps": [step("h", "train", network={"template": "mlp"},
                                       semi_supervised={"unlabeled": "mnist", "neighbours": 5})]})
    assert any(i.field.endswith("semi_supervised.neighbours") for i in err.value.issues)


def test_cache_key_of_a_train_step_changes_with_its_unlabeled_data_only_when_it_has_some(tmp_path):
    from graft.store import Workspace
    from graft.workflow.runner import WorkflowRun

    ws = Workspace(tmp_path / "ws")

    def key(**kw):
        wf = parse_workflow({"steps": [step("h", "train", network={"template": "mlp"}, **kw)]})
        return WorkflowRun(ws, wf).cache_key(wf.steps[0])

    plain = key()
    a = key(semi_supervised={"unlabeled": {"dataset": "mnist", "transforms": [{"limit": 100}]}})
    b = key(semi_supervised={"unlabeled": {"dataset": "mnist", "transforms": [{"limit": 200}]}})
    assert len({plain, a, b}) == 3


def test_precision_and_device_of_a_train_step_reach_training_and_its_cache_key_only_when_set(tmp_path):
    from graft.store import Workspace
    from graft.workflow.runner import WorkflowRun

    ws = Workspace(tmp_path / "ws")

    def parsed(**kw):
        wf = parse_workflow({"steps": [step("h", "train", network={"template": "mlp"}, **kw)]})
        return wf.steps[0], WorkflowRun(ws, wf).cache_key(wf.steps[0])

    default, default_key = parsed()
    fp32, fp32_key = parsed(precision="fp32", device="cpu")
    assert (default.hparams()["precision"], fp32.hparams()["precision"], fp32.hparams()["device"]) == \
        ("auto", "fp32", "cpu")
    assert parsed(precision="auto")[1] == default_key != fp32_key
    with pytest.raises(SpecError):
        parse_workflow({"steps": [step("h", "train", network={"template": "mlp"}, precision="fp16")]})
