import { Handle, Position, type Node, type NodeProps } from "@xyflow/react";
import { fmtCount, fmtShape } from "../design/convert";
import type { BlockData, FrameData } from "./hierarchyFlow";

/** A collapsed block of an imported model (a stage, a residual block): its layers, parameters and output shape.
 * A click opens it; "keep up to here" selects everything up to its output (the block is a cut point). */
export function BlockNode({ data }: NodeProps<Node<BlockData>>) {
  const cls = ["gnode", "block-node", data.selected && "selected", data.found && "found"].filter(Boolean).join(" ");
  return (
    <div className={cls} data-testid={`block-${data.path}`} title={`${data.path}: click to open`}
         onClick={() => data.onToggle(data.key)}>
      <Handle type="target" position={Position.Top} />
      <div className="gnode-title"><span className="gnode-name">▸ {data.label}</span>
        <span className="muted small">{data.layers} layers</span></div>
      <div className="gnode-meta">{fmtCount(data.params)} params · out {fmtShape(data.shape)}</div>
      <button className="chip block-cut" title="Select this block and everything before it, to save as a foundation"
              onClick={(e) => { e.stopPropagation(); data.onCut(data.key); }}>✂ keep up to here</button>
      <Handle type="source" position={Position.Bottom} />
    </div>
  );
}

/** An opened block: a frame around its contents, whose title closes it again. */
export function FrameNode({ data }: NodeProps<Node<FrameData>>) {
  return (
    <div className="block-frame" data-testid={`frame-${data.path}`}>
      <button className="block-frame-title" title={`${data.path}: click to close`} onClick={() => data.onToggle(data.key)}>
        ▾ {data.label} <span className="muted">· {data.layers} layers</span></button>
    </div>
  );
}
