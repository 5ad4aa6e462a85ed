// The seed pipeline (examples/mnist_transfer.yaml), offered when a person creates a workflow.
export const SEED_WORKFLOW = `format: graft.workflow/v1
name: mnist-transfer
steps:
  - name: base
    kind: train
    network: {template: example-cnn}
    data: mnist
    epochs: 3
    batch_size: 128
    lr: 0.002
    model_name: mnist-cnn
  - name: foundation
    kind: slice
    model: {step: base}
    start: conv1
    end: flatten
    model_name: mnist-conv-foundation
  - name: head
    kind: train
    network:
      name: conv-foundation-plus-head
      input: {shape: [1, 28, 28]}
      nodes:
        - {id: base, type: Foundation, params: {ref: {step: foundation}, frozen: true}, inputs: [input]}
        - {id: fc1, type: Linear, params: {out_features: 128}, inputs: [base]}
        - {id: relu, type: ReLU, inputs: [fc1]}
        - {id: fc2, type: Linear, params: {out_features: 10}, inputs: [relu]}
    data: mnist
    epochs: 1
    lr: 0.002
    model_name: mnist-head
  - name: test
    kind: evaluate
    model: {step: head}
    data: {dataset: mnist, split: test}
  - name: view
    kind: view
    source: {step: test}
    page_size: 25
`;
