import { Handle, Position, type Node, type NodeProps } from "@xyflow/react";
import { fmtCount, fmtShape, type GNodeData } from "./convert";

/** One canvas node: id, type, parameter count, output shape, and any issue pinned on it.
 * A Foundation is one collapsed block: its layer count, the shapes entering and leaving it, frozen or not. */
export default function LayerNode({ data, selected, id }: NodeProps<Node<GNodeData>>) {
  const spec = data.spec;
  const isInput = spec === null;
  const isFoundation = spec?.type === "Foundation";
  const cls = ["gnode", selected && "selected", data.issues.length > 0 && "has-issue",
    isInput && "input-node", isFoundation && "foundation-node", data.found && "found"].filter(Boolean).join(" ");
  const p = (spec?.params ?? {}) as Record<string, unknown>;
  const [into, out] = data.horizontal ? [Position.Left, Position.Right] : [Position.Top, Position.Bottom];
  const frozen = p.frozen !== false;
  const inner = spec?.network;
  return (
    <div className={cls} data-testid={`node-${id}`}>
      {!isInput && <Handle type="target" position={into} />}
      <div className="gnode-title">
        <span className="gnode-name" title={isInput ? "input" : id}>{isInput ? "input" : data.label ?? id}</span>
        {isFoundation && <span className={`badge ${frozen ? "" : "ok"}`} title={frozen ? "its weights are not trained"
          : `trained with lr × ${String(p.lr_multiplier ?? 1)}`}>{frozen ? "frozen" : "trainable"}</span>}
      </div>
      <div className="gnode-type">
        {isInput ? `shape ${fmtShape(data.inputShape)}`
          : isFoundation ? `◆ Foundation${inner ? ` · ${inner.nodes.length} layers` : ""}` : spec.type}
      </div>
      {isFoundation && (
        <div className="gnode-meta" title={String(p.ref ?? "")}>
          {inner ? `${fmtShape(inner.input.shape)} → ${fmtShape(data.shape)}` : String(p.ref ?? "")}
        </div>
      )}
      {!isInput && (
        <div className="gnode-meta">
          {data.params !== undefined ? `${fmtCount(data.params)} params` : "… params"}
          {isFoundation && !frozen && ` · lr ×${String(p.lr_multiplier ?? 1)}`}
        </div>
      )}
      {data.issues.length > 0 && (
        <div className="gnode-issue" role="alert" title={data.issues.map((i) => i.message).join("\n")}>
          {data.issues[0].message}{data.issues.length > 1 && ` (+${data.issues.length - 1} more)`}
        </div>
      )}
      <Handle type="source" position={out} />
    </div>
  );
}
