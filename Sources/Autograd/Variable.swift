// Reverse-mode automatic differentiation over `Tensor`.
//
// A `Variable` holds a value and, when it was computed from variables that need
// gradients, its parents and one backward rule mapping the output gradient to a gradient
// per parent. `backward()` sorts the graph topologically and applies each rule once,
// accumulating into `grad` of the leaves that require it. Composite operations are built
// from the primitives in Operations.swift and differentiate for free.
//
// As in PyTorch, `backward()` releases the graph as it goes: each node drops its rule (and
// the tensors the rule saved) and its parents once its gradient has been passed on. Saved
// activations are freed during the backward pass rather than when the caller lets go of the
// loss, and parameters are no longer shared with a saved copy when the optimizer updates
// them in place (a shared value had to be copied first: 25 MB a step in the training-step
// benchmark). `backward(retainGraph: true)` keeps the graph for a second pass.

import Tensors

/// A node of the computation graph: a tensor value plus how it was made.
public final class Variable: @unchecked Sendable {
    /// The forward value.
    public var value: Tensor
    /// Accumulated gradient of a leaf (nil until a backward pass reaches it). Intermediate
    /// results do not keep gradients, which bounds memory.
    public var grad: Tensor?
    /// Whether gradients flow to (a leaf) or through (an intermediate) this variable.
    public var requiresGrad: Bool
    /// Inputs of the operation that produced this value (empty for leaves and constants, and
    /// once a backward pass has released the graph).
    public private(set) var parents: [Variable]
    /// Maps d(loss)/d(self) to d(loss)/d(parent) for each parent (nil: no gradient for it).
    private(set) var backwardRule: ((Tensor) -> [Tensor?])?
    /// Name of the operation, for error messages and graph dumps.
    public let operation: String
    /// True for variables not produced by a recorded operation.
    public let isLeaf: Bool
    /// Set when a backward pass has released this node's rule and parents.
    public private(set) var isReleased = false

    /// A leaf: a parameter (`requiresGrad: true`) or a constant input.
    public init(_ value: Tensor, requiresGrad: Bool = false) {
        self.value = value
        self.requiresGrad = requiresGrad
        self.parents = []
        self.backwardRule = nil
        self.operation = "leaf"
        self.isLeaf = true
    }

    init(value: Tensor, parents: [Variable], operation: String, backward: @escaping (Tensor) -> [Tensor?]) {
        self.value = value
        self.requiresGrad = true
        self.parents = parents
        self.backwardRule = backward
        self.operation = operation
        self.isLeaf = false
    }
    /// Shape of the value.
    public var shape: [Int] { value.shape }

    /// Records the result of an operation: with gradient tracking on and a parent that
    /// requires gradients, the result remembers `backward`; otherwise it is a constant.
    public static func record(_ value: Tensor, parents: [Variable], operation: String,
                              backward: @escaping (Tensor) -> [Tensor?]) -> Variable {
        guard GradientMode.isEnabled, parents.contains(where: { $0.requiresGrad }) else {
            return Variable(value)
        }
        return Variable(value: value, parents: parents, operation: operation, backward: backward)
    }

    /// The same value, cut off from the graph.
    public func detached() -> Variable { Variable(value) }

    /// Clears the accumulated gradient.
    public func zeroGrad() { grad = nil }

    /// Back-propagates from this variable. For a non-scalar output pass `seed`, the gradient
    /// of the final loss with respect to this value; a scalar output defaults to 1.
    /// Gradients are added to the `grad` of every reachable leaf that requires them.
    ///
    /// The graph is released on the way (see the top of this file) unless `retainGraph` is
    /// true; a second backward through a released node stops with a message naming it.
    public func backward(seed: Tensor? = nil, retainGraph: Bool = false) {
        let initial = seed ?? {
            precondition(value.scalarCount == 1,
                         "backward(): output of shape \(value.shape) is not a scalar; pass seed:")
            return Tensor(repeating: 1, shape: value.shape)
        }()
        precondition(initial.shape == value.shape, "backward(): seed \(initial.shape) does not match \(value.shape)")
        guard requiresGrad else { return }
        var order = topologicalOrder()
        var gradients: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): initial]
        // Children before parents; popping lets a released node (and its value) go as soon as
        // nothing else holds it.
        while let node = order.popLast() {
            precondition(!node.isReleased,
                         "backward(): '\(node.operation)' (shape \(node.shape)) belongs to a graph an earlier backward() "
                         + "already released; pass retainGraph: true to that call to back-propagate through it again")
            guard let gradient = gradients.removeValue(forKey: ObjectIdentifier(node)) else {
                if !retainGraph { node.release() }
                continue
            }
            guard let rule = node.backwardRule else {
                if node.requiresGrad { node.grad = node.grad.map { $0 + gradient } ?? gradient }
                continue
            }
            let parentGradients = rule(gradient)
            let parents = node.parents
            if !retainGraph { node.release() }
            for (parent, parentGradient) in zip(parents, parentGradients) {
                guard parent.requiresGrad, let parentGradient else { continue }
                precondition(parentGradient.shape == parent.value.shape,
                             "backward of \(node.operation): gradient \(parentGradient.shape) for input \(parent.value.shape)")
                let key = ObjectIdentifier(parent)
                if var existing = gradients[key] {
                    gradients[key] = nil  // keep `existing` uniquely referenced so += works in place
                    existing += parentGradient
                    gradients[key] = existing
                } else {
                    gradients[key] = parentGradient
                }
            }
        }
    }

    /// Drops the rule (and the tensors it saved) and the parents of a recorded node.
    private func release() {
        guard !isLeaf else { return }
        backwardRule = nil
        parents = []
        isReleased = true
    }

    /// Nodes reachable from `self` whose gradient is needed, parents before children.
    func topologicalOrder() -> [Variable] {
        var order: [Variable] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Variable, Bool)] = [(self, false)]
        while let (node, expanded) = stack.popLast() {
            if expanded { order.append(node); continue }
            guard node.requiresGrad, visited.insert(ObjectIdentifier(node)).inserted else { continue }
            stack.append((node, true))
            for parent in node.parents where parent.requiresGrad { stack.append((parent, false)) }
        }
        return order
    }
}

/// Whether operations record the graph. Inference runs inside `withoutGradients`.
public enum GradientMode {
    @TaskLocal static var enabled = true
    /// True unless inside `withoutGradients`.
    public static var isEnabled: Bool { enabled }
}

/// Runs `body` without recording operations (inference): results are constants, no
/// backward closures or saved tensors are kept.
public func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
    try GradientMode.$enabled.withValue(false) { try body() }
}
