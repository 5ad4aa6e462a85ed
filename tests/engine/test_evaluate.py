import numpy as np

from graft.engine.compile import compile_network
from graft.engine.evaluate import evaluate, predictions
from graft.engine.train import train


def test_evaluate_numbers_are_consistent(nets, train_small, test_small):
    model = compile_network(nets.small_cnn())
    train(model, train_small, hparams={**nets.fast, "epochs": 3})
    r = evaluate(model, test_small, batch_size=64)
    assert r["total"] == len(test_small) == sum(c["total"] for c in r["per_class"])
    assert r["hit"] == sum(c["hit"] for c in r["per_class"]) == int(np.trace(np.array(r["confusion"])))
    assert np.array(r["confusion"]).sum() == r["total"]
    assert [row["total"] for row in r["per_class"]] == [sum(row) for row in r["confusion"]]
    assert r["accuracy"] == r["hit"] / r["total"]
    assert r["hit"] > 0.3 * r["total"]          # it learned something from 320 samples
    assert len(r["preds"]) == len(r["confidences"]) == r["total"]
    assert ((r["confidences"] > 0.0999) & (r["confidences"] <= 1.0)).all()
    rows = predictions(r, offset=5, limit=3)
    assert [row["index"] for row in rows] == [5, 6, 7]
    assert rows[0]["label"] == int(test_small.labels[5])


def test_evaluate_uses_the_training_normalization(nets, train_small, test_small):
    model = compile_network(nets.small_cnn())
    train(model, train_small, hparams=nets.fast)
    assert model.normalization["mean"] == train_small.mean
    same = evaluate(model, test_small, normalization=model.normalization)
    shifted = evaluate(model, test_small, normalization={"mean": 0.9, "std": 0.05})
    assert evaluate(model, test_small)["preds"].tolist() == same["preds"].tolist()
    assert shifted["preds"].tolist() != same["preds"].tolist()
