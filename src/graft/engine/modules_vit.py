"""The Vision Transformer modules (spec.layers_vit's recipes). Each depends on torch alone, so Python export
copies their source into the exported file as it is (ops.export_python)."""
from __future__ import annotations

import torch
from torch import nn


class PatchTokens(nn.Module):
    def forward(self, x):
        return x.flatten(2).transpose(1, 2)


class ClassToken(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.token = nn.Parameter(torch.randn(1, 1, dim) * 0.02)

    def forward(self, x):
        return torch.cat([self.token.expand(x.shape[0], -1, -1), x], dim=1)


class PositionEmbedding(nn.Module):
    def __init__(self, tokens, dim):
        super().__init__()
        self.table = nn.Parameter(torch.randn(1, tokens, dim) * 0.02)

    def forward(self, x):
        return x + self.table


class MultiHeadAttention(nn.Module):
    def __init__(self, dim, num_heads, bias=True):
        super().__init__()
        self.num_heads = num_heads
        self.q = nn.Linear(dim, dim, bias=bias)
        self.k = nn.Linear(dim, dim, bias=bias)
        self.v = nn.Linear(dim, dim, bias=bias)
        self.out = nn.Linear(dim, dim, bias=bias)

    def forward(self, x):
        n, t, d = x.shape
        heads = (n, t, self.num_heads, d // self.num_heads)
        q, k, v = (f(x).view(heads).transpose(1, 2) for f in (self.q, self.k, self.v))
        y = torch.nn.functional.scaled_dot_product_attention(q, k, v)
        return self.out(y.transpose(1, 2).reshape(n, t, d))


class LayerScale(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * self.gamma


class TokenSelect(nn.Module):
    def __init__(self, index):
        super().__init__()
        self.index = index

    def forward(self, x):
        return x[:, self.index]


class TokenMean(nn.Module):
    def __init__(self, start=0):
        super().__init__()
        self.start = start

    def forward(self, x):
        return (x[:, self.start:] if self.start else x).mean(dim=1)


MODULES = {"PatchTokens": PatchTokens, "ClassToken": ClassToken, "PositionEmbedding": PositionEmbedding,
           "MultiHeadAttention": MultiHeadAttention, "LayerScale": LayerScale, "TokenSelect": TokenSelect,
           "TokenMean": TokenMean}
