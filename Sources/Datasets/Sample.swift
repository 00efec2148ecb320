// The unit of data every dataset produces: an image, a LLaVA-style conversation and
// the metadata the partitioners and metrics need.
//
// Shapes: an `Image` is channels-first, [channels, height, width], Float32 in [0, 1].

/// A decoded image, channels-first (`[channels, height, width]`), values in [0, 1].
public struct Image: Sendable, Equatable, Hashable {
    /// 1 (grayscale) or 3 (RGB).
    public var channels: Int
    public var height: Int
    public var width: Int
    /// `channels * height * width` values, row-major in that order.
    public var pixels: [Float]

    /// Creates an image; the pixel count must match the shape.
    public init(channels: Int, height: Int, width: Int, pixels: [Float]) {
        precondition(channels > 0 && height > 0 && width > 0,
                     "Image: shape [\(channels), \(height), \(width)] must be positive")
        precondition(pixels.count == channels * height * width,
                     "Image: \(pixels.count) pixels for shape [\(channels), \(height), \(width)]")
        self.channels = channels
        self.height = height
        self.width = width
        self.pixels = pixels
    }

    /// A constant image.
    public init(channels: Int, height: Int, width: Int, fill: Float = 0) {
        self.init(channels: channels, height: height, width: width,
                  pixels: [Float](repeating: fill, count: channels * height * width))
    }

    /// The value at channel `c`, row `y`, column `x`.
    @inlinable public subscript(c: Int, y: Int, x: Int) -> Float {
        get { pixels[(c * height + y) * width + x] }
        set { pixels[(c * height + y) * width + x] = newValue }
    }
}

/// The kinds of task the paper's datasets contain.
public enum TaskKind: String, Codable, Sendable, CaseIterable {
    case classification
    case captioning
    case vqa
    /// Visual grounding and detection: the answer is a box "The coordinates are [x, y, w, h]".
    case grounding
    case reportGeneration = "report_generation"
}

/// Closed (yes/no, a fixed set of options) or open questions, reported separately in VQA.
public enum AnswerType: String, Codable, Sendable {
    case closed
    case open
}

/// One turn of a LLaVA-style conversation: `from` is "human" or "gpt".
public struct Turn: Codable, Sendable, Equatable, Hashable {
    public var from: String
    public var value: String
    public init(from: String, value: String) {
        self.from = from
        self.value = value
    }
}

/// An axis-aligned box in normalised image coordinates: top-left corner, width, height,
/// all in [0, 1] (the reference benchmark writes boxes as "[x, y, w, h]").
public struct BoundingBox: Codable, Sendable, Equatable, Hashable {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double
    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }
}

/// One image + conversation + metadata.
public struct Sample: Sendable, Equatable, Hashable {
    /// Unique within its dataset.
    public var id: String
    public var image: Image
    /// Human and gpt turns; the first human turn carries the `<image>` placeholder.
    public var conversations: [Turn]
    public var task: TaskKind
    /// Set for VQA samples.
    public var answerType: AnswerType?
    /// The attribute the paper's non-IID split partitions by (class, category,
    /// modality, organ or task name, depending on the dataset).
    public var category: String
    /// Further metadata (e.g. "modality", "organ", "question_type").
    public var attributes: [String: String]
    /// Ground-truth boxes for grounding / detection samples (normalised [x, y, w, h]).
    public var boxes: [BoundingBox]

    public init(id: String, image: Image, conversations: [Turn], task: TaskKind,
                answerType: AnswerType? = nil, category: String,
                attributes: [String: String] = [:], boxes: [BoundingBox] = []) {
        self.id = id
        self.image = image
        self.conversations = conversations
        self.task = task
        self.answerType = answerType
        self.category = category
        self.attributes = attributes
        self.boxes = boxes
    }

    /// The text of the first human turn (with its `<image>` placeholder).
    public var prompt: String { conversations.first { $0.from == "human" }?.value ?? "" }
    /// The text of the first gpt turn: the target answer.
    public var answer: String { conversations.first { $0.from == "gpt" }?.value ?? "" }
}

/// The placeholder that marks where image features enter the prompt.
public let imagePlaceholder = "<image>"
