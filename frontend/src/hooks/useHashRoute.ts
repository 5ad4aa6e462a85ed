import { useCallback, useEffect, useState } from "react";

export type Section = "design" | "data" | "train" | "models" | "evaluate" | "reports" | "workflow";
export type Navigate = (section: Section, param?: string) => void;
const SECTIONS: Section[] = ["design", "data", "train", "models", "evaluate", "reports", "workflow"];

function parse(): { section: Section; param?: string } {
  const [, section, ...rest] = window.location.hash.replace(/^#/, "").split("/");
  const s = SECTIONS.includes(section as Section) ? (section as Section) : "design";
  return { section: s, param: rest.length ? decodeURIComponent(rest.join("/")) : undefined };
}

/** `#/section/param` routing: bookmarkable, back button works, no router dependency. */
export function useHashRoute(): [{ section: Section; param?: string }, Navigate] {
  const [route, setRoute] = useState(parse);
  useEffect(() => {
    const on = () => setRoute(parse());
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  const navigate = useCallback<Navigate>((section, param) => {
    window.location.hash = `#/${section}${param ? `/${encodeURIComponent(param)}` : ""}`;
  }, []);
  return [route, navigate];
}
