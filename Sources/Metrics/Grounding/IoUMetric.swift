// Mean IoU of boxes read from predictions against boxes read from references.
//
// Per sample: predicted and reference boxes are paired in order; the sample's IoU
// is the sum of the paired IoUs divided by the larger of the two box counts, so
// missing and extra boxes count as 0. With several reference texts the best one
// counts. A prediction with no readable box is unparseable: it scores 0
// (default) or is left out of the mean (the reference benchmark's behaviour);
// the number of unparseable predictions is always reported.

/// What happens to predictions from which no box can be read.
public enum UnparseablePolicy: String, Sendable, Hashable, Codable, CaseIterable {
    /// They score IoU 0 and stay in the mean (library default).
    case scoreZero
    /// They are left out of the mean (the reference benchmark).
    case exclude
}

/// Options of the IoU metric.
public struct IoUOptions: Sendable, Hashable, Codable {
    /// How boxes are read from text.
    public var parser: BoxParser
    /// What happens to predictions without a readable box.
    public var unparseable: UnparseablePolicy
    /// Units of the predicted boxes.
    public var predictionSpace: CoordinateSpace
    /// Units of the reference boxes. When it differs from `predictionSpace`,
    /// pixel boxes are divided by the item's image size.
    public var referenceSpace: CoordinateSpace

    /// Options; the defaults give `.standard`.
    public init(parser: BoxParser = BoxParser(), unparseable: UnparseablePolicy = .scoreZero,
                predictionSpace: CoordinateSpace = .normalized, referenceSpace: CoordinateSpace = .normalized) {
        self.parser = parser
        self.unparseable = unparseable
        self.predictionSpace = predictionSpace
        self.referenceSpace = referenceSpace
    }

    /// Library default: [x, y, w, h] after "are" if present, unparseable predictions score 0.
    public static let standard = IoUOptions()
    /// The reference benchmark: [x, y, w, h] after a required "are", unparseable predictions left out.
    public static let referenceBenchmark = IoUOptions(
        parser: BoxParser(format: .xywh, extraction: .afterMarker("are", required: true)),
        unparseable: .exclude)
}

/// Mean IoU and per-sample IoU.
public struct IoUResult: Sendable, Hashable {
    /// Mean over the samples that count (all, or only the parseable ones under `.exclude`);
    /// 0 when none count.
    public let meanIoU: Double
    /// Per item, in order; unparseable predictions show 0.
    public let perSample: [Double]
    /// Indices of the items whose prediction held no readable box.
    public let unparseableIndices: [Int]
    /// Number of samples in the mean.
    public let evaluatedCount: Int

    /// Number of predictions without a readable box.
    public var unparseableCount: Int { unparseableIndices.count }
}

/// Intersection over union of boxes written in text.
public struct IoUMetric: Sendable, Hashable {
    /// Parsing and averaging rules.
    public var options: IoUOptions

    /// An IoU metric with the given options.
    public init(options: IoUOptions = .standard) {
        self.options = options
    }

    /// Scores every item.
    ///
    /// - Throws: `MetricsError` for no items, duplicate ids, empty reference lists,
    ///   a reference without a readable box, or a missing/invalid image size when
    ///   coordinates must be converted.
    public func evaluate(_ items: [EvaluationItem]) throws -> IoUResult {
        try EvaluationItem.validate(items, metric: "IoU")
        var perSample: [Double] = []
        var unparseable: [Int] = []
        for (index, item) in items.enumerated() {
            let referenceBoxes = try item.references.enumerated().map { referenceIndex, text in
                // A reference always falls back to its whole text when the marker is absent.
                let boxes = options.parser.boxes(in: text)
                    ?? BoxParser(format: options.parser.format, extraction: .wholeText).boxes(in: text)!
                guard !boxes.isEmpty else {
                    throw MetricsError.unparseableReference(id: item.id, referenceIndex: referenceIndex, text: text)
                }
                return try normalized(boxes, space: options.referenceSpace, item: item)
            }
            guard let predicted = options.parser.boxes(in: item.prediction), !predicted.isEmpty else {
                unparseable.append(index)
                perSample.append(0)
                continue
            }
            let predictedBoxes = try normalized(predicted, space: options.predictionSpace, item: item)
            perSample.append(referenceBoxes.map { Self.pairedIoU(predictedBoxes, $0) }.max()!)
        }
        let unparseableSet = Set(unparseable)
        let counted = options.unparseable == .exclude
            ? perSample.indices.filter { !unparseableSet.contains($0) }.map { perSample[$0] }
            : perSample
        let mean = counted.isEmpty ? 0 : counted.reduce(0, +) / Double(counted.count)
        return IoUResult(meanIoU: mean, perSample: perSample, unparseableIndices: unparseable,
                         evaluatedCount: counted.count)
    }

    /// Boxes paired in order; missing or extra boxes contribute 0.
    public static func pairedIoU(_ predicted: [BoundingBox], _ reference: [BoundingBox]) -> Double {
        let denominator = max(predicted.count, reference.count)
        guard denominator > 0 else { return 0 }
        let total = zip(predicted, reference).map { $0.intersectionOverUnion(with: $1) }.reduce(0, +)
        return total / Double(denominator)
    }

    /// Boxes in the common space: unchanged when both sides use the same units,
    /// else pixel boxes divided by the image size.
    private func normalized(_ boxes: [BoundingBox], space: CoordinateSpace, item: EvaluationItem) throws -> [BoundingBox] {
        guard options.predictionSpace != options.referenceSpace, space == .pixels else { return boxes }
        guard let size = item.imageSize else { throw MetricsError.missingImageSize(id: item.id) }
        guard size.width > 0, size.height > 0, size.width.isFinite, size.height.isFinite else {
            throw MetricsError.invalidValue(field: "imageSize of sample '\(item.id)'",
                                            value: "\(size.width) x \(size.height)",
                                            reason: "width and height must be positive and finite")
        }
        return boxes.map { $0.scaled(x: 1 / size.width, y: 1 / size.height) }
    }
}
