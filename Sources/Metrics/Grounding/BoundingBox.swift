// Axis-aligned boxes, reading them from generated text, and intersection over union.
//
// Box text: the reference benchmark's targets read "The coordinates are
// [x, y, w, h]" with normalised floats; its evaluation reads the 4 numbers after
// "are". Here a box is any innermost bracket group, [ ... ] or ( ... ), holding
// exactly four numbers separated by commas and/or spaces (integers, decimals,
// signs and exponents allowed), read as [x, y, w, h] or [x1, y1, x2, y2] as the
// caller says. Several groups give several boxes, in order; groups with other
// content are skipped. Text without any bracket that is nothing but 4k numbers is
// read as k boxes.

/// An axis-aligned rectangle given by its corners (x grows right, y grows down).
public struct BoundingBox: Sendable, Hashable, Codable {
    /// Left edge.
    public var minX: Double
    /// Top edge.
    public var minY: Double
    /// Right edge.
    public var maxX: Double
    /// Bottom edge.
    public var maxY: Double

    /// A box from its corners (not reordered: a right edge left of the left edge gives an empty box).
    public init(minX: Double, minY: Double, maxX: Double, maxY: Double) {
        self.minX = minX
        self.minY = minY
        self.maxX = maxX
        self.maxY = maxY
    }

    /// A box from its top-left corner and size.
    public init(x: Double, y: Double, width: Double, height: Double) {
        self.init(minX: x, minY: y, maxX: x + width, maxY: y + height)
    }

    /// Width, 0 for a box whose right edge is left of its left edge.
    public var width: Double { max(0, maxX - minX) }
    /// Height, 0 for a box whose bottom edge is above its top edge.
    public var height: Double { max(0, maxY - minY) }
    /// Width times height.
    public var area: Double { width * height }

    /// Intersection area over union area; 0 when the union is empty
    /// (degenerate boxes) or the boxes do not overlap. Touching edges give 0.
    public func intersectionOverUnion(with other: BoundingBox) -> Double {
        let overlapWidth = max(0, min(maxX, other.maxX) - max(minX, other.minX))
        let overlapHeight = max(0, min(maxY, other.maxY) - max(minY, other.minY))
        let intersection = overlapWidth * overlapHeight
        let union = area + other.area - intersection
        return union > 0 ? intersection / union : 0
    }

    /// The box with x coordinates multiplied by `x` and y coordinates by `y`.
    public func scaled(x: Double, y: Double) -> BoundingBox {
        BoundingBox(minX: minX * x, minY: minY * y, maxX: maxX * x, maxY: maxY * y)
    }
}

/// How four numbers describe a box.
public enum BoxFormat: String, Sendable, Hashable, Codable, CaseIterable {
    /// [x, y, width, height] (the reference benchmark's convention).
    case xywh
    /// [x1, y1, x2, y2], top-left and bottom-right corners.
    case xyxy

    /// The box four numbers describe in this format.
    public func box(_ a: Double, _ b: Double, _ c: Double, _ d: Double) -> BoundingBox {
        switch self {
        case .xywh: return BoundingBox(x: a, y: b, width: c, height: d)
        case .xyxy: return BoundingBox(minX: a, minY: b, maxX: c, maxY: d)
        }
    }
}

/// Units of box coordinates.
public enum CoordinateSpace: String, Sendable, Hashable, Codable, CaseIterable {
    /// Fractions of the image width and height (0...1).
    case normalized
    /// Pixels.
    case pixels
}

/// Reads boxes from text.
public struct BoxParser: Sendable, Hashable, Codable {
    /// How four numbers describe a box.
    public var format: BoxFormat
    /// Where the boxes start; by default after "are" when present.
    public var extraction: AnswerExtraction

    /// A parser; by default [x, y, w, h] after "are" when present.
    public init(format: BoxFormat = .xywh, extraction: AnswerExtraction = .afterMarker("are", required: false)) {
        self.format = format
        self.extraction = extraction
    }

    /// The boxes in `text`, in order; nil when a required marker is missing.
    /// An empty array means no box could be read.
    public func boxes(in text: String) -> [BoundingBox]? {
        guard let region = extraction.answer(in: text) else { return nil }
        let groups = Self.numberGroups(in: region)
        return groups.filter { $0.count == 4 }.map { format.box($0[0], $0[1], $0[2], $0[3]) }
    }

    /// Numbers of each innermost bracket group that holds only numbers; or, for
    /// bracket-free text made only of numbers, that text cut into groups of four.
    static func numberGroups(in text: String) -> [[Double]] {
        let scalars = Array(text.unicodeScalars)
        var groups: [[Double]] = []
        var groupStart: Int?
        var sawBracket = false
        for (index, scalar) in scalars.enumerated() {
            switch scalar {
            case "[", "(":
                sawBracket = true
                groupStart = index + 1
            case "]", ")":
                sawBracket = true
                if let start = groupStart, let numbers = numbersOnly(scalars[start..<index]) {
                    groups.append(numbers)
                }
                groupStart = nil
            default:
                break
            }
        }
        if !sawBracket {
            // Bare numbers: allow trailing sentence punctuation.
            var end = scalars.count
            while end > 0, [".", " ", "\t", "\n", ";"].contains(scalars[end - 1]) { end -= 1 }
            if let numbers = numbersOnly(scalars[0..<end]), !numbers.isEmpty, numbers.count % 4 == 0 {
                groups = stride(from: 0, to: numbers.count, by: 4).map { Array(numbers[$0..<($0 + 4)]) }
            }
        }
        return groups
    }

    /// The numbers in `scalars` if it is only numbers separated by commas and
    /// whitespace; nil otherwise.
    private static func numbersOnly(_ scalars: ArraySlice<Unicode.Scalar>) -> [Double]? {
        var numbers: [Double] = []
        var current = ""
        func flush() -> Bool {
            guard !current.isEmpty else { return true }
            guard isNumberLiteral(current), let value = Double(current), value.isFinite else { return false }
            numbers.append(value)
            current = ""
            return true
        }
        for scalar in scalars {
            if scalar == "," || WhitespaceTokenizer.isPythonWhitespace(scalar) {
                guard flush() else { return nil }
            } else {
                current.unicodeScalars.append(scalar)
            }
        }
        guard flush() else { return nil }
        return numbers
    }

    /// Decimal literals only: sign, digits, optional fraction, optional exponent
    /// (so "nan", "inf" and hexadecimal forms that `Double(_:)` accepts are refused).
    private static func isNumberLiteral(_ text: String) -> Bool {
        var sawDigit = false
        var sawExponent = false
        var sawPoint = false
        var previous: Unicode.Scalar?
        for scalar in text.unicodeScalars {
            switch scalar {
            case "0"..."9":
                sawDigit = true
            case "+", "-":
                guard previous == nil || previous == "e" || previous == "E" else { return false }
            case ".":
                guard !sawPoint && !sawExponent else { return false }
                sawPoint = true
            case "e", "E":
                guard sawDigit && !sawExponent else { return false }
                sawExponent = true
                sawDigit = false
            default:
                return false
            }
            previous = scalar
        }
        return sawDigit
    }
}
