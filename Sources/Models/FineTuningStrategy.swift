// The paper's four fine-tuning strategies for encoder-based VLMs (Sec. 4; Table 4):
//   F-C       connector only
//   F-L       language-model LoRA only (the only strategy for encoder-free models)
//   F-CL      connector and LoRA at once
//   F-2stage  connector first, then LoRA, with a configurable split of the rounds
// Each selects what trains on a client and what travels to the server in a round.

import NN

/// A fine-tuning strategy.
public enum FineTuningStrategy: Codable, Sendable, Equatable, CustomStringConvertible {
    case connectorOnly
    case languageModelLoRA
    case connectorAndLoRA
    /// Connector for the first `connectorFraction` of the rounds, LoRA afterwards.
    case twoStage(connectorFraction: Double)

    /// Short names used in specs and tables: "F-C", "F-L", "F-CL", "F-2stage".
    public var description: String {
        switch self {
        case .connectorOnly: return "F-C"
        case .languageModelLoRA: return "F-L"
        case .connectorAndLoRA: return "F-CL"
        case .twoStage: return "F-2stage"
        }
    }

    public static let validNames = "F-C, F-L, F-CL, F-2stage"

    /// Parses "F-C", "F-L", "F-CL", "F-2stage" (case-insensitive); the two-stage split defaults to half.
    public init(parsing text: String, connectorFraction: Double = 0.5) throws {
        switch text.uppercased() {
        case "F-C": self = .connectorOnly
        case "F-L": self = .languageModelLoRA
        case "F-CL": self = .connectorAndLoRA
        case "F-2STAGE":
            guard connectorFraction > 0 && connectorFraction < 1 else {
                throw ModuleError("F-2stage: connector fraction \(connectorFraction) must be in (0, 1)")
            }
            self = .twoStage(connectorFraction: connectorFraction)
        default: throw ModuleError("unknown fine-tuning strategy '\(text)'; valid: \(FineTuningStrategy.validNames)")
        }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let name = try? container.decode(String.self) { try self.init(parsing: name); return }
        struct TwoStage: Codable { var connectorFraction: Double }
        self = .twoStage(connectorFraction: try container.decode(TwoStage.self).connectorFraction)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        if case .twoStage(let fraction) = self, fraction != 0.5 {
            try container.encode(["connectorFraction": fraction])
        } else {
            try container.encode(description)
        }
    }

    /// Parameter groups that train (and are communicated) in `round` (1-based) of `totalRounds`.
    public func trainableGroups(round: Int, totalRounds: Int) -> [ParameterGroup] {
        switch self {
        case .connectorOnly: return [.connector]
        case .languageModelLoRA: return [.languageModelLoRA]
        case .connectorAndLoRA: return [.connector, .languageModelLoRA]
        case .twoStage(let fraction):
            let connectorRounds = max(1, Int((Double(totalRounds) * fraction).rounded()))
            return round <= connectorRounds ? [.connector] : [.languageModelLoRA]
        }
    }

    /// Every group the strategy ever trains (what the server keeps a global copy of).
    public var allGroups: [ParameterGroup] {
        switch self {
        case .connectorOnly: return [.connector]
        case .languageModelLoRA: return [.languageModelLoRA]
        case .connectorAndLoRA, .twoStage: return [.connector, .languageModelLoRA]
        }
    }

    /// Throws when the architecture has no connector but the strategy needs one.
    public func validate(for architecture: Architecture) throws {
        if architecture == .encoderFree && self != .languageModelLoRA {
            throw ModuleError("strategy \(self) needs a connector; encoder-free models support only F-L")
        }
    }
}
