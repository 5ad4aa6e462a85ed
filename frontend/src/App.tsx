import { useEffect, useState } from "react";
import { useHashRoute, type Section } from "./hooks/useHashRoute";
import DesignPage from "./pages/DesignPage";
import DataPage from "./pages/DataPage";
import TrainPage from "./pages/TrainPage";
import ModelsPage from "./pages/ModelsPage";
import EvaluatePage from "./pages/EvaluatePage";
import WorkflowPage from "./pages/WorkflowPage";
import ReportsPage from "./pages/ReportsPage";

const SECTIONS: { id: Section; label: string; key: string; hint: string }[] = [
  { id: "design", label: "Design", key: "1", hint: "Draw a network" },
  { id: "data", label: "Data", key: "2", hint: "Data sets" },
  { id: "train", label: "Train", key: "3", hint: "Runs" },
  { id: "models", label: "Models", key: "4", hint: "Registry and lineage" },
  { id: "evaluate", label: "Evaluate", key: "5", hint: "Test a model" },
  { id: "reports", label: "Reports", key: "6", hint: "What a foundation buys" },
  { id: "workflow", label: "Workflow", key: "7", hint: "Pipelines" },
];

function initialTheme(): "light" | "dark" {
  const saved = localStorage.getItem("graft-theme");
  if (saved === "light" || saved === "dark") return saved;
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

export default function App() {
  const [route, navigate] = useHashRoute();
  const [theme, setTheme] = useState(initialTheme);

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem("graft-theme", theme);
  }, [theme]);

  useEffect(() => {
    // Alt+1..7 switch sections from anywhere (plain digits would clash with typing in forms).
    const onKey = (e: KeyboardEvent) => {
      if (!e.altKey || e.ctrlKey || e.metaKey) return;
      const s = SECTIONS.find((x) => x.key === e.key);
      if (s) {
        e.preventDefault();
        navigate(s.id);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [navigate]);

  return (
    <div className="app">
      <nav className="sidenav" aria-label="Sections">
        <div className="brand">
          <span className="brand-mark" aria-hidden>◆</span> graft
        </div>
        {SECTIONS.map((s) => (
          <a
            key={s.id}
            href={`#/${s.id}`}
            className={route.section === s.id ? "nav-item active" : "nav-item"}
            aria-current={route.section === s.id ? "page" : undefined}
            title={`${s.hint} (Alt+${s.key})`}
          >
            <span className="nav-label">{s.label}</span>
            <kbd>Alt {s.key}</kbd>
          </a>
        ))}
        <div className="nav-spacer" />
        <button
          className="ghost theme-toggle"
          onClick={() => setTheme(theme === "dark" ? "light" : "dark")}
          aria-label="Toggle dark theme"
        >
          {theme === "dark" ? "☀ Light theme" : "☾ Dark theme"}
        </button>
      </nav>
      <main className="content">
        {route.section === "design" && <DesignPage param={route.param} navigate={navigate} />}
        {route.section === "data" && <DataPage param={route.param} />}
        {route.section === "train" && <TrainPage param={route.param} navigate={navigate} />}
        {route.section === "models" && <ModelsPage param={route.param} navigate={navigate} />}
        {route.section === "evaluate" && <EvaluatePage param={route.param} navigate={navigate} />}
        {route.section === "reports" && <ReportsPage param={route.param} navigate={navigate} />}
        {route.section === "workflow" && <WorkflowPage param={route.param} navigate={navigate} />}
      </main>
    </div>
  );
}
