// The connector (LLaVA's "mm_projector"): maps vision features [B, N, E] into the language
// model's embedding space [B, N, C]. Built from a string spec as LLaVA does:
//   "linear"         one Linear(E, C)
//   "mlp{N}x_gelu"   N Linear layers with GELU between (N >= 2): Linear(E, C), GELU, Linear(C, C), ...
//   "identity"       no parameters (requires E == C)
// The paper compares linear, mlp2x_gelu and mlp6x_gelu (Table 3).

import Autograd
import NN
import Tensors

/// A parsed connector spec.
public enum ConnectorSpec: Equatable, Sendable, Codable, CustomStringConvertible {
    case linear
    case mlpGELU(depth: Int)
    case identity

    /// The valid forms, for error messages.
    public static let validForms = "linear, mlp{N}x_gelu with N >= 2 (e.g. mlp2x_gelu, mlp6x_gelu), identity"

    /// Parses "linear", "mlp2x_gelu", ..., "identity".
    public init(parsing text: String) throws {
        let spec = text.trimmingCharacters(in: .whitespaces).lowercased()
        if spec == "linear" { self = .linear; return }
        if spec == "identity" { self = .identity; return }
        if spec.hasPrefix("mlp"), spec.hasSuffix("x_gelu"),
           let depth = Int(spec.dropFirst(3).dropLast(6)), depth >= 2 {
            self = .mlpGELU(depth: depth)
            return
        }
        throw ModuleError("unknown connector '\(text)'; valid forms: \(ConnectorSpec.validForms)")
    }

    public var description: String {
        switch self {
        case .linear: return "linear"
        case .identity: return "identity"
        case .mlpGELU(let depth): return "mlp\(depth)x_gelu"
        }
    }

    public init(from decoder: Decoder) throws { try self.init(parsing: try decoder.singleValueContainer().decode(String.self)) }
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// The connector module. Layers are numbered as in LLaVA's `nn.Sequential` (GELU occupies
/// the odd indices), so parameters read `layers.0.weight`, `layers.2.weight`, ...
public final class Connector: Module {
    public let spec: ConnectorSpec
    public let layers: [Module]

    public init(spec: ConnectorSpec, inputDimension: Int, outputDimension: Int, seed: UInt64) throws {
        self.spec = spec
        var generator = RandomGenerator(seed: seed)
        switch spec {
        case .identity:
            guard inputDimension == outputDimension else {
                throw ModuleError("connector 'identity' needs equal widths, got vision \(inputDimension) and language \(outputDimension)")
            }
            layers = []
        case .linear:
            layers = [Linear(inputDimension, outputDimension, generator: &generator)]
        case .mlpGELU(let depth):
            var stack: [Module] = [Linear(inputDimension, outputDimension, generator: &generator)]
            for _ in 1..<depth {
                stack.append(GELU())
                stack.append(Linear(outputDimension, outputDimension, generator: &generator))
            }
            layers = stack
        }
    }

    public override var excludedProperties: Set<String> { ["spec"] }

    /// features [B, N, E] -> [B, N, C].
    public func callAsFunction(_ features: Variable) -> Variable {
        var h = features
        for layer in layers {
            switch layer {
            case let linear as Linear: h = linear(h)
            case let gelu as GELU: h = gelu(h)
            default: preconditionFailure("Connector: unexpected layer \(type(of: layer))")
            }
        }
        return h
    }
}
