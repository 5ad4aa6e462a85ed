import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import Markdown from "./markdown";

describe("Markdown", () => {
  it("renders a card's headings, tables, lists and code, and never HTML from the text", () => {
    const html = renderToStaticMarkup(<Markdown text={"# head\n\n| | |\n|---|---|\n| id | `mdl-1` |\n\n- a **b**\n\n<img src=x onerror=alert(1)>"} />);
    expect(html).toContain("<h1>head</h1>");
    expect(html).toContain("<td>id</td><td><code>mdl-1</code></td>");
    expect(html).toContain("<li>a <strong>b</strong></li>");
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
  });
});
