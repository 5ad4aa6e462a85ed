"""Small graph algorithms over node ids (iterative: documents may hold long chains)."""
from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping


def kahn_order(nodes: list[str], preds: Mapping[str, Iterable[str]]) -> list[str]:
    """Topological order of the nodes not on or after a cycle; ties follow the order of `nodes`.

    `preds[n]` are n's predecessors among `nodes` (others are ignored)."""
    index = {n: i for i, n in enumerate(nodes)}
    indeg = {n: 0 for n in nodes}
    succs: dict[str, list[str]] = {n: [] for n in nodes}
    for n in nodes:
        for p in set(preds.get(n, ())):
            if p in index:
                indeg[n] += 1
                succs[p].append(n)
    ready = [index[n] for n in nodes if indeg[n] == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        n = nodes[heapq.heappop(ready)]
        order.append(n)
        for s in succs[n]:
            indeg[s] -= 1
            if indeg[s] == 0:
                heapq.heappush(ready, index[s])
    return order


def cycles(nodes: list[str], preds: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Strongly connected components that contain a cycle (Tarjan, iterative), members in `nodes` order."""
    index_of = {n: i for i, n in enumerate(nodes)}
    succs: dict[str, list[str]] = {n: [] for n in nodes}
    self_loops = set()
    for n in nodes:
        for p in preds.get(n, ()):
            if p in index_of:
                succs[p].append(n)
                if p == n:
                    self_loops.add(n)
    counter, low, num, on_stack, stack, found = 0, {}, {}, set(), [], []
    for root in nodes:
        if root in num:
            continue
        work = [(root, iter(succs[root]))]
        num[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in num:
                    num[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(succs[w])))
                    advanced = True
                    break
                if w in on_stack:
                    low[v] = min(low[v], num[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == num[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1 or v in self_loops:
                    found.append(sorted(comp, key=index_of.__getitem__))
    return sorted(found, key=lambda c: index_of[c[0]])


def ancestors(targets: Iterable[str], preds: Mapping[str, Iterable[str]]) -> set[str]:
    """The targets and everything upstream of them."""
    seen: set[str] = set()
    todo = list(targets)
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        todo.extend(preds.get(n, ()))
    return seen


def descendants(sources: Iterable[str], preds: Mapping[str, Iterable[str]]) -> set[str]:
    """The sources and everything downstream of them."""
    succs: dict[str, list[str]] = {}
    for n, ps in preds.items():
        for p in ps:
            succs.setdefault(p, []).append(n)
    return ancestors(sources, succs)
