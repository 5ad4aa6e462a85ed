import type { ReactNode } from "react";

/** A small Markdown renderer for model cards: headings, paragraphs, lists, tables, code, **bold**, _italic_.
 *  It builds React elements from text, so nothing in a card is ever parsed as HTML. */
export function inline(text: string, key = ""): ReactNode[] {
  const out: ReactNode[] = [];
  const re = /`([^`]+)`|\*\*([^*]+)\*\*|_([^_]+)_/g;
  let last = 0, m: RegExpExecArray | null, i = 0;
  while ((m = re.exec(text))) {
    if (m.index > last) out.push(text.slice(last, m.index));
    const k = `${key}-${i++}`;
    out.push(m[1] !== undefined ? <code key={k}>{m[1]}</code> : m[2] !== undefined ? <strong key={k}>{m[2]}</strong> : <em key={k}>{m[3]}</em>);
    last = re.lastIndex;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

const cells = (line: string) => line.trim().replace(/^\|/, "").replace(/\|$/, "").split("|").map((c) => c.trim());

export default function Markdown({ text }: { text: string }) {
  const lines = text.split("\n");
  const blocks: ReactNode[] = [];
  for (let i = 0; i < lines.length;) {
    const line = lines[i];
    const k = `b${i}`;
    if (line.startsWith("```")) {
      const body: string[] = [];
      for (i++; i < lines.length && !lines[i].startsWith("```"); i++) body.push(lines[i]);
      blocks.push(<pre key={k}><code>{body.join("\n")}</code></pre>);
      i++;
    } else if (/^#{1,3} /.test(line)) {
      const level = line.indexOf(" ");
      const H = (`h${level}`) as "h1" | "h2" | "h3";
      blocks.push(<H key={k}>{inline(line.slice(level + 1), k)}</H>);
      i++;
    } else if (line.trim().startsWith("|")) {
      const rows: string[][] = [];
      for (; i < lines.length && lines[i].trim().startsWith("|"); i++)
        if (!/^\s*\|?\s*:?-{3,}/.test(lines[i])) rows.push(cells(lines[i]));
      const [head, ...body] = rows;
      const titled = head.some((c) => c);   // "| | |" (a key/value table) has no header worth a row
      blocks.push(<table key={k}>{titled && <thead><tr>{head.map((c, j) => <th key={j}>{inline(c, `${k}h${j}`)}</th>)}</tr></thead>}
        <tbody>{body.map((r, ri) => <tr key={ri}>{r.map((c, j) => <td key={j}>{inline(c, `${k}${ri}-${j}`)}</td>)}</tr>)}</tbody></table>);
    } else if (/^\s*[-*] /.test(line)) {
      const items: string[] = [];
      for (; i < lines.length && /^\s*[-*] /.test(lines[i]); i++) items.push(lines[i].replace(/^\s*[-*] /, ""));
      blocks.push(<ul key={k}>{items.map((t, j) => <li key={j}>{inline(t, `${k}${j}`)}</li>)}</ul>);
    } else if (line.trim() === "") {
      i++;
    } else {
      const para: string[] = [];
      for (; i < lines.length && lines[i].trim() && !/^(#{1,3} |```|\s*\||\s*[-*] )/.test(lines[i]); i++) para.push(lines[i]);
      blocks.push(<p key={k}>{inline(para.join(" "), k)}</p>);
    }
  }
  return <div className="md">{blocks}</div>;
}
