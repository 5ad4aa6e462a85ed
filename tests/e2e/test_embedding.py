"""The embedding view as a person uses it: from a foundation's page to its PCA map, hover a point for its image,
lasso a group and see its images with their labels, in both themes."""
import pytest

from serving import _serve
from flows import api, small_models

pytestmark = pytest.mark.browser

HEIGHT, PAD = 480, 16      # the canvas height and padding of frontend/src/embedding/Scatter.tsx


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    from graft.store import Workspace

    root = tmp_path_factory.mktemp("embedview")
    ws = Workspace(root)
    made = small_models(ws, {"dataset": "mnist", "transforms": [{"limit": 512}]}, head=False)
    ws.close()
    return {"root": root, **made}


@pytest.fixture(scope="module")
def server(made):
    yield from _serve(made["root"])


def to_screen(points, width, height):
    """frontend/src/embedding/lasso.ts fitToScreen: one scale on both axes, centred, y up."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    span_x, span_y = (max(xs) - min(xs)) or 1, (max(ys) - min(ys)) or 1
    scale = min((width - 2 * PAD) / span_x, (height - 2 * PAD) / span_y)
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    return [(width / 2 + (x - cx) * scale, height / 2 - (y - cy) * scale) for x, y in points]


def test_a_foundations_map_shows_images_on_hover_and_a_lassoed_group(page, server, made):
    fnd = made["fnd"]
    page.goto(f"/#/models/{fnd['id']}")
    page.get_by_role("button", name="Embedding →").click()
    view = page.get_by_label("Embedding", exact=True)
    facts = page.get_by_test_id("embedding-facts")
    facts.wait_for(timeout=90_000)        # computed by a worker (a PCA of 2000 images) the first time
    assert "PCA of 2000 of 10000 images of mnist (test)" in facts.inner_text()
    legend = page.get_by_label("Legend")
    assert legend.locator(".legend-item").count() == 10
    page.shot("map-light")

    listed = api(server, f"/embeddings?model={fnd['id']}")
    doc = api(server, f"/embeddings/{listed[0]['id']}")
    canvas = page.get_by_test_id("embedding-canvas")
    box = canvas.bounding_box()
    screen = to_screen(doc["points"], box["width"], HEIGHT)
    # hover the point nearest the middle: its image and label show
    target = min(range(len(screen)), key=lambda i: (screen[i][0] - box["width"] / 2) ** 2 + (screen[i][1] - HEIGHT / 2) ** 2)
    x, y = screen[target]
    page.mouse.move(box["x"] + x, box["y"] + y)
    tip = page.get_by_role("tooltip")
    tip.wait_for()
    label = doc["classes"][doc["labels"][target]]
    assert tip.locator("strong").inner_text() in {doc["classes"][doc["labels"][i]] for i in range(len(screen))
                                                   if abs(screen[i][0] - x) < 9 and abs(screen[i][1] - y) < 9}
    page.wait_for_function("() => { const i = document.querySelector('.embed-tip img'); return i && i.complete && i.naturalWidth > 0; }")
    page.shot("hover")

    # lasso a square of 60 px around it: the points inside show as images with their labels
    r = 30
    corners = [(x - r, y - r), (x + r, y - r), (x + r, y + r), (x - r, y + r)]
    page.mouse.move(box["x"] + corners[0][0], box["y"] + corners[0][1])
    page.mouse.down()
    for cx, cy in corners[1:] + corners[:1]:
        page.mouse.move(box["x"] + cx, box["y"] + cy, steps=5)
    page.mouse.up()
    inside = [i for i, (px, py) in enumerate(screen) if abs(px - x) < r - 1 and abs(py - y) < r - 1]
    selection = page.get_by_label("Selected images")
    selection.locator("figure").first.wait_for()
    count = int(selection.locator("strong").first.inner_text().split()[0])
    assert count >= len(inside) >= 1
    figures = selection.locator("figure")
    assert figures.count() == min(count, 120)
    assert label in [figures.nth(k).locator("figcaption").inner_text() for k in range(figures.count())]
    page.wait_for_function("() => [...document.querySelectorAll('[aria-label=\"Selected images\"] img')].slice(0, 8)"
                           ".every((i) => i.complete && i.naturalWidth > 0)")
    page.shot("lasso-light")

    page.get_by_role("button", name="Toggle dark theme").click()
    page.shot("lasso-dark")

    # the t-SNE switch computes that map (progress shows while it runs), then shows it
    page.get_by_role("button", name="t-SNE").click()
    page.get_by_label("Embedding run").wait_for()
    page.wait_for_function("() => document.querySelector('[data-testid=embedding-facts]')?.textContent"
                           ".startsWith('t-SNE of 2000')", timeout=300_000)   # t-SNE of 2000 points: 20 s to minutes on 2 shared cores
    assert page.get_by_label("Selected images").locator("figure").count() == 0   # a new map: nothing selected
    page.shot("tsne-dark")
    page.get_by_role("button", name="Toggle dark theme").click()
    page.get_by_role("button", name="PCA").click()        # stored: back at once, no new run
    facts.filter(has_text="PCA of 2000").wait_for(timeout=5_000)
    assert view.is_visible()


def test_a_classifiers_map_is_coloured_right_or_wrong(page, server, made):
    page.goto(f"/#/models/{made['base']['id']}/embedding")
    page.get_by_test_id("embedding-facts").filter(has_text="input of fc").wait_for(timeout=90_000)
    page.get_by_label("Colour by").select_option("correct")
    items = page.get_by_label("Legend").locator(".legend-item")
    assert items.count() == 2
    right, wrong = (int(items.nth(k).inner_text().split()[-1]) for k in range(2))
    assert right + wrong == 2000 and right > 0 and wrong > 0    # a one-epoch model on 512 images: some of each
    page.shot("right-wrong")
