import torch

from graft.engine.compile import compile_network
from graft.engine.features import FeatureCache, cacheable_foundations
from graft.engine.freeze import apply_foundation_params
from graft.engine.train import train


def _model(nets, seed=0, **kw):
    torch.manual_seed(seed)
    return compile_network(nets.grafted(nets.foundation_of(nets.small_cnn(bn=True)), **kw))


def _same_foundation(dst, src):
    dst.base.load_state_dict(src.base.state_dict())


def test_cache_is_hit_by_a_new_head_and_missed_after_a_weight_change(nets, train_small, tmp_path):
    cache = FeatureCache(tmp_path)
    first = _model(nets, seed=0)
    assert train(first, train_small, hparams=nets.fast, feature_cache=cache).feature_cache == "miss"
    second = _model(nets, seed=1)                       # a new head on the same foundation weights
    _same_foundation(second, first)
    assert train(second, train_small, hparams=nets.fast, feature_cache=cache).feature_cache == "hit"
    assert len(list(tmp_path.glob("*.npy"))) == 1

    fresh = FeatureCache(tmp_path)                      # another process: found on disk
    third = _model(nets, seed=2)
    _same_foundation(third, first)
    assert train(third, train_small, hparams=nets.fast, feature_cache=fresh).feature_cache == "hit"

    with torch.no_grad():
        third.base.conv1.weight[0, 0, 0, 0] += 0.01
    assert train(third, train_small, hparams=nets.fast, feature_cache=fresh).feature_cache == "miss"
    assert len(list(tmp_path.glob("*.npy"))) == 2


def test_other_data_gives_another_key(nets, train_small, test_small):
    cache = FeatureCache()
    model = _model(nets)
    train(model, train_small, hparams=nets.fast, feature_cache=cache)
    assert train(model, test_small, hparams=nets.fast, feature_cache=cache).feature_cache == "miss"


def test_head_trained_on_cached_features_matches_the_uncached_run(nets, train_small, test_small):
    # the head has dropout: equal weights mean the cached path consumed the same random masks
    a, b = _model(nets, seed=0), _model(nets, seed=0)
    hp = {**nets.fast, "epochs": 2}
    cached = train(a, train_small, test_small, hp, feature_cache=FeatureCache(dtype="float32"))
    plain = train(b, train_small, test_small, {**hp, "feature_cache": False})
    assert cached.feature_cache == "miss" and plain.feature_cache is None
    for key in ("fc1.weight", "fc2.weight", "fc2.bias"):
        assert torch.allclose(a.state_dict()[key], b.state_dict()[key], atol=1e-5), key
    assert cached.history[-1]["val_accuracy"] == plain.history[-1]["val_accuracy"]


def test_cache_applies_only_when_frozen_foundations_alone_feed_the_head(nets):
    frozen = _model(nets, frozen=True)
    apply_foundation_params(frozen, 0.01)
    assert cacheable_foundations(frozen) == ["base"]
    trainable = _model(nets, frozen=False)
    apply_foundation_params(trainable, 0.01)
    assert cacheable_foundations(trainable) == []
    doc = nets.grafted(nets.foundation_of(nets.small_cnn()))
    doc["nodes"] += [{"id": "skip", "type": "Flatten", "inputs": ["input"]},
                     {"id": "both", "type": "Concat", "inputs": ["base", "skip"]},
                     {"id": "out", "type": "Linear", "params": {"out_features": 10}, "inputs": ["both"]}]
    doc["nodes"] = [n for n in doc["nodes"] if n["id"] not in ("fc1", "relu", "drop", "fc2")]
    skip = compile_network(doc)
    apply_foundation_params(skip, 0.01)
    assert cacheable_foundations(skip) == []


def test_bfloat16_features_are_kept_exactly_on_disk_and_memory_mapped(nets, train_small, tmp_path, monkeypatch):
    import graft.engine.features as features

    hp = {**nets.fast, "precision": "bf16"}
    a, b = _model(nets, seed=0), _model(nets, seed=0)
    assert train(a, train_small, hparams=hp, feature_cache=FeatureCache(tmp_path)).feature_cache == "miss"
    assert len(list(tmp_path.glob("*.npy"))) == 1
    monkeypatch.setattr(features, "MMAP_OVER", 0)         # read back as a memmap of raw 16-bit patterns
    reread = FeatureCache(tmp_path)
    assert train(b, train_small, hparams=hp, feature_cache=reread).feature_cache == "hit"
    stored = next(iter(reread._lru.values()))
    assert stored.dtype.name == "uint16"
    for key in ("fc1.weight", "fc2.weight"):
        assert torch.equal(a.state_dict()[key], b.state_dict()[key]), key
    plain = _model(nets, seed=0)
    train(plain, train_small, hparams={**hp, "feature_cache": False})
    assert torch.allclose(plain.state_dict()["fc2.weight"], a.state_dict()["fc2.weight"], atol=1e-5)
