// Reverse-mode automatic differentiation over `Tensor`.
//
// A `Variable` holds a value and, when it was computed from variables that need
// gradients, its parents and one backward rule mapping the output gradient to a gradient
// per parent. `backward()` sorts the graph topologically and applies each rule once,
// accumulating into `grad` of the leaves that require it. Composite operations are built
// from the primitives in Operations.swift and differentiate for free.

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
    /// Inputs of the operation that produced this value (empty for leaves and constants).
    public let parents: [Variable]
    /// Maps d(loss)/d(self) to d(loss)/d(parent) for each parent (nil: no gradient for it).
    let backwardRule: ((Tensor) -> [Tensor?])?
    /// Name of the operation, for error messages and graph dumps.
    public let operation: String

    /// A leaf: a parameter (`requiresGrad: true`) or a constant input.
    public init(_ value: Tensor, requiresGrad: Bool = false) {
        self.value = value
        self.requiresGrad = requiresGrad
        self.parents = []
        self.backwardRule = nil
        self.operation = "leaf"
    }

    init(value: Tensor, parents: [Variable], operation: String, backward: @escaping (Tensor) -> [Tensor?]) {
        self.value = value
        self.requiresGrad = true
        self.parents = parents
        self.backwardRule = backward
        self.operation = operation
    }

    /// True for variables not produced by a recorded operation.
    public var isLeaf: Bool { backwardRule == nil }
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
    public func backward(seed: Tensor? = nil) {
        let initial = seed ?? {
            precondition(value.scalarCount == 1,
                         "backward(): output of shape \(value.shape) is not a scalar; pass seed:")
            return Tensor(repeating: 1, shape: value.shape)
        }()
        precondition(initial.shape == value.shape, "backward(): seed \(initial.shape) does not match \(value.shape)")
        guard requiresGrad else { return }
        let order = topologicalOrder()
        var gradients: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): initial]
        for node in order.reversed() {
            guard let gradient = gradients.removeValue(forKey: ObjectIdentifier(node)) else { continue }
            guard let rule = node.backwardRule else {
                if node.requiresGrad { node.grad = node.grad.map { $0 + gradient } ?? gradient }
                continue
            }
            let parentGradients = rule(gradient)
            for (parent, parentGradient) in zip(node.parents, parentGradients) {
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
