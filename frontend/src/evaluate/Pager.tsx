import { useState } from "react";

/** Rows [page*size, (page+1)*size) of `total`: a long table shows one page, so no result can freeze a tab. */
export function usePage(total: number, size: number) {
  const [page, setPage] = useState(0);
  const pages = Math.max(1, Math.ceil(total / size));
  const at = Math.min(page, pages - 1);
  return { page: at, pages, setPage, start: at * size, end: Math.min(total, (at + 1) * size) };
}

/** "page N of M" with previous / next and a page number to jump to. */
export default function Pager({ page, pages, setPage, label }: {
  page: number; pages: number; setPage: (p: number) => void; label: string;
}) {
  const [jump, setJump] = useState("");
  const go = () => {
    const n = Number(jump);
    if (Number.isInteger(n) && n >= 1 && n <= pages) setPage(n - 1);
    setJump("");
  };
  return (
    <div className="row pager" style={{ gap: 6, alignItems: "center" }} aria-label={`${label} pages`}>
      <button type="button" disabled={page === 0} onClick={() => setPage(page - 1)}>← Prev</button>
      <span className="small" data-testid={`${label}-page`}>page {page + 1} of {pages}</span>
      <button type="button" disabled={page >= pages - 1} onClick={() => setPage(page + 1)}>Next →</button>
      {pages > 2 && (
        <form onSubmit={(e) => { e.preventDefault(); go(); }} className="row" style={{ gap: 4 }}>
          <input type="number" min={1} max={pages} value={jump} onChange={(e) => setJump(e.target.value)}
                 placeholder="page" aria-label={`Jump to ${label} page`} style={{ width: 70 }} />
          <button type="submit" disabled={!jump}>Go</button>
        </form>)}
    </div>
  );
}
