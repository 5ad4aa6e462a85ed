import pytest
import torch

from graft.engine.propagate import knn_graph, pseudo_labels, resolve


def blobs(n_per: int, centers: torch.Tensor, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.cat([c + 0.3 * torch.randn(n_per, centers.shape[1], generator=g) for c in centers])
    return x, torch.arange(len(centers)).repeat_interleave(n_per)


def test_one_label_per_cluster_reaches_the_whole_cluster():
    centers = torch.eye(4, 16) * 4
    x, y = blobs(200, centers)
    seeds = torch.tensor([0, 200, 400, 600])              # one labelled point per cluster
    found = pseudo_labels(x[seeds], y[seeds], x, 4, {"k": 8})
    assert (found.labels == y).float().mean() > 0.99
    assert found.weights.min() >= 0 and found.weights.mean() > 0.5
    assert found.summary()["per_class"] == torch.bincount(found.labels, minlength=4).tolist()


def test_uncertain_points_weigh_less_than_clear_ones():
    centers = torch.eye(2, 8) * 4
    x, y = blobs(100, centers)
    midway = (centers.sum(0) / 2)[None]                    # as close to one cluster as to the other
    found = pseudo_labels(x[[0, 100]], y[[0, 100]], torch.cat([x, midway]), 2, {"k": 6})
    assert found.weights[-1] < found.weights[:-1].median()


def test_knn_graph_excludes_the_point_itself():
    x = torch.randn(50, 5)
    idx, sim = knn_graph(x, 3)
    assert idx.shape == (50, 3) and not (idx == torch.arange(50)[:, None]).any()
    assert (sim[:, :-1] >= sim[:, 1:]).all()


@pytest.mark.parametrize("options, field", [({"k": 0}, "k"), ({"alpha": 1.0}, "alpha"), ({"beta": 1}, "beta"),
                                            ({"iterations": 1.5}, "iterations")])
def test_bad_options_name_the_field(options, field):
    with pytest.raises(ValueError, match=f"semi_supervised.{field}"):
        resolve(options)
