// The task vocabulary of the Metrics target and the unit every metric consumes.
// Metrics imports no other target, so these types are its own; the runtime maps
// its dataset tasks onto `MetricTask`.

/// The kinds of task the paper evaluates, each with its own metrics (FedVLMBench, Table 2).
public enum MetricTask: String, Sendable, Hashable, CaseIterable, Codable {
    /// Image classification (Fed-FGVC): accuracy.
    case classification
    /// Caption generation (Fed-ScienceCap, Fed-Nature): CIDEr and ROUGE-L.
    case captioning
    /// Visual question answering (Fed-SLAKE, Fed-Nature, Fed-Med): accuracy, closed/open split.
    case vqa
    /// Visual grounding and detection (Fed-RadGenome, Fed-Nature, Fed-Med): IoU.
    case grounding
    /// Radiology report generation (Fed-Med): CIDEr and ROUGE-L.
    case reportGeneration

    /// The metrics the paper reports for this task, in table order.
    public var headlineMetrics: [MetricName] {
        switch self {
        case .classification: return [.accuracy]
        case .vqa: return [.accuracy, .closedAccuracy, .openAccuracy]
        case .captioning, .reportGeneration: return [.cider, .rougeL]
        case .grounding: return [.meanIoU]
        }
    }
}

/// The names of the numbers an evaluation reports.
public enum MetricName: String, Sendable, Hashable, CaseIterable, Codable {
    /// Fraction of items answered correctly.
    case accuracy
    /// Accuracy over questions marked closed (yes/no, multiple choice).
    case closedAccuracy
    /// Accuracy over questions marked open (free form).
    case openAccuracy
    /// CIDEr-D, as pycocoevalcap's `Cider` (the paper's "CIDER" column).
    case cider
    /// ROUGE-L F-measure with beta 1.2.
    case rougeL
    /// BLEU-1...BLEU-4, corpus level, as the COCO caption toolkit reports them.
    case bleu1, bleu2, bleu3, bleu4
    /// Mean intersection over union of predicted and reference boxes.
    case meanIoU
}

/// Whether a VQA question is closed (yes/no, choice) or open (free answer), as
/// datasets such as SLAKE and VQA-RAD label them.
public enum AnswerType: String, Sendable, Hashable, Codable {
    /// Yes/no or choice questions.
    case closed
    /// Free-form questions.
    case open
}

/// Width and height of an image in pixels, for converting box coordinates.
public struct ImageSize: Sendable, Hashable, Codable {
    /// Width in pixels.
    public var width: Double
    /// Height in pixels.
    public var height: Double

    /// A size in pixels.
    public init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }
}

/// One prediction to evaluate, with its reference text(s).
public struct EvaluationItem: Sendable, Hashable, Codable {
    /// Identifier of the sample (image or question id); unique within one evaluation.
    public var id: String
    /// The model's output text (generated or teacher-forced).
    public var prediction: String
    /// Reference texts: several captions, or the gold answer(s), or the gold box text.
    public var references: [String]
    /// Closed or open question, when the dataset says (VQA only).
    public var answerType: AnswerType?
    /// Image size, needed only to convert between pixel and normalised box coordinates.
    public var imageSize: ImageSize?

    /// An item; `answerType` and `imageSize` are optional.
    public init(id: String, prediction: String, references: [String],
                answerType: AnswerType? = nil, imageSize: ImageSize? = nil) {
        self.id = id
        self.prediction = prediction
        self.references = references
        self.answerType = answerType
        self.imageSize = imageSize
    }

    /// Checks a list of items: at least one, unique ids, no empty reference list.
    static func validate(_ items: [EvaluationItem], metric: String) throws {
        guard !items.isEmpty else { throw MetricsError.noSamples(metric: metric) }
        var seen = Set<String>()
        for item in items {
            guard seen.insert(item.id).inserted else {
                throw MetricsError.duplicateIdentifier(metric: metric, id: item.id)
            }
            guard !item.references.isEmpty else {
                throw MetricsError.emptyReferences(metric: metric, id: item.id)
            }
        }
    }
}
