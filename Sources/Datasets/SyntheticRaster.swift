// A small anti-aliased rasteriser for the synthetic datasets.
//
// Shapes live in normalised image coordinates (x to the right, y downwards, both in [0, 1]),
// so a generator draws the same scene at any image size. Each shape knows its signed
// distance to a point; a pixel's coverage is `clamp(0.5 - distance_in_pixels, 0, 1)`, a
// one-sample box-filter approximation that gives smooth edges at the cost of one distance
// evaluation per pixel (cheaper than supersampling, which matters in debug-built tests).
//
// Shapes: canvas pixels are channels-first, [3, height, width], Float32; values are
// clamped to [0, 1] only when the canvas becomes an `Image`.

import Foundation

/// A point in normalised image coordinates: x to the right, y downwards, [0, 1] across the image.
public struct SyntheticPoint: Sendable, Hashable {
    public var x: Double
    public var y: Double
    public init(_ x: Double, _ y: Double) {
        self.x = x
        self.y = y
    }
}

/// Scale, then rotate (radians, clockwise on screen because y points down), then translate:
/// places a shape drawn in its own local frame into the image.
public struct SyntheticTransform: Sendable, Hashable {
    public var scale: Double
    public var rotation: Double
    public var translation: SyntheticPoint

    public init(scale: Double = 1, rotation: Double = 0, translation: SyntheticPoint = SyntheticPoint(0, 0)) {
        self.scale = scale
        self.rotation = rotation
        self.translation = translation
    }

    /// Maps a local point into image coordinates.
    public func apply(_ point: SyntheticPoint) -> SyntheticPoint {
        let c = cos(rotation), s = sin(rotation)
        return SyntheticPoint(translation.x + scale * (c * point.x - s * point.y),
                              translation.y + scale * (s * point.x + c * point.y))
    }
}

/// A filled region; strokes are drawn along its outline.
public enum SyntheticShape: Sendable, Hashable {
    /// A rectangle of full `width` and `height` around `center`, turned by `rotation` radians.
    case rectangle(center: SyntheticPoint, width: Double, height: Double, rotation: Double)
    /// An ellipse with semi-axes `radiusX`, `radiusY` around `center`, turned by `rotation` radians.
    case ellipse(center: SyntheticPoint, radiusX: Double, radiusY: Double, rotation: Double)
    /// A closed polygon (any winding; concave allowed, inside by the even-odd rule).
    case polygon([SyntheticPoint])
    /// A line segment with round caps, `thickness` wide.
    case segment(from: SyntheticPoint, to: SyntheticPoint, thickness: Double)

    /// An axis-aligned rectangle given by its top-left corner and size.
    public static func box(x: Double, y: Double, width: Double, height: Double) -> SyntheticShape {
        .rectangle(center: SyntheticPoint(x + width / 2, y + height / 2), width: width, height: height, rotation: 0)
    }

    /// A circle.
    public static func circle(center: SyntheticPoint, radius: Double) -> SyntheticShape {
        .ellipse(center: center, radiusX: radius, radiusY: radius, rotation: 0)
    }

    /// The shape placed by `transform`.
    public func transformed(by transform: SyntheticTransform) -> SyntheticShape {
        switch self {
        case let .rectangle(center, width, height, rotation):
            return .rectangle(center: transform.apply(center), width: width * transform.scale,
                              height: height * transform.scale, rotation: rotation + transform.rotation)
        case let .ellipse(center, radiusX, radiusY, rotation):
            return .ellipse(center: transform.apply(center), radiusX: radiusX * transform.scale,
                            radiusY: radiusY * transform.scale, rotation: rotation + transform.rotation)
        case let .polygon(points):
            return .polygon(points.map(transform.apply))
        case let .segment(from, to, thickness):
            return .segment(from: transform.apply(from), to: transform.apply(to), thickness: thickness * transform.scale)
        }
    }

    /// The exact axis-aligned bounds (normalised, not clipped to the image).
    public var bounds: BoundingBox {
        switch self {
        case let .rectangle(center, width, height, rotation):
            let c = abs(cos(rotation)), s = abs(sin(rotation))
            let halfX = (c * width + s * height) / 2, halfY = (s * width + c * height) / 2
            return BoundingBox(x: center.x - halfX, y: center.y - halfY, width: 2 * halfX, height: 2 * halfY)
        case let .ellipse(center, radiusX, radiusY, rotation):
            // Extent of a rotated ellipse along x: sqrt(a^2 cos^2 + b^2 sin^2).
            let c = cos(rotation), s = sin(rotation)
            let halfX = (radiusX * radiusX * c * c + radiusY * radiusY * s * s).squareRoot()
            let halfY = (radiusX * radiusX * s * s + radiusY * radiusY * c * c).squareRoot()
            return BoundingBox(x: center.x - halfX, y: center.y - halfY, width: 2 * halfX, height: 2 * halfY)
        case let .polygon(points):
            precondition(!points.isEmpty, "SyntheticShape.polygon: no points")
            let xs = points.map(\.x), ys = points.map(\.y)
            return BoundingBox(x: xs.min()!, y: ys.min()!, width: xs.max()! - xs.min()!, height: ys.max()! - ys.min()!)
        case let .segment(from, to, thickness):
            let r = thickness / 2
            let minX = min(from.x, to.x) - r, minY = min(from.y, to.y) - r
            return BoundingBox(x: minX, y: minY, width: abs(from.x - to.x) + 2 * r, height: abs(from.y - to.y) + 2 * r)
        }
    }
}

extension BoundingBox {
    /// The smallest box holding both.
    public func union(_ other: BoundingBox) -> BoundingBox {
        let minX = min(x, other.x), minY = min(y, other.y)
        let maxX = max(x + width, other.x + other.width), maxY = max(y + height, other.y + other.height)
        return BoundingBox(x: minX, y: minY, width: maxX - minX, height: maxY - minY)
    }

    /// The part inside the unit square (zero width/height if disjoint).
    public func clippedToUnitSquare() -> BoundingBox {
        let minX = min(max(x, 0), 1), minY = min(max(y, 0), 1)
        let maxX = min(max(x + width, 0), 1), maxY = min(max(y + height, 0), 1)
        return BoundingBox(x: minX, y: minY, width: maxX - minX, height: maxY - minY)
    }

    /// Centre point.
    public var center: SyntheticPoint { SyntheticPoint(x + width / 2, y + height / 2) }

    /// Intersection over union with another box (0 when either is empty).
    public func intersectionOverUnion(_ other: BoundingBox) -> Double {
        let overlapX = max(0, min(x + width, other.x + other.width) - max(x, other.x))
        let overlapY = max(0, min(y + height, other.y + other.height) - max(y, other.y))
        let intersection = overlapX * overlapY
        let union = width * height + other.width * other.height - intersection
        return union > 0 ? intersection / union : 0
    }
}

/// The union of the bounds of several shapes (e.g. both lungs, or all parts of a car).
public func unionBounds(_ shapes: [SyntheticShape]) -> BoundingBox {
    precondition(!shapes.isEmpty, "unionBounds: no shapes")
    return shapes.dropFirst().reduce(shapes[0].bounds) { $0.union($1.bounds) }
}

/// A shape converted to pixel units, ready for distance queries.
private struct PixelShape {
    enum Kind {
        case rectangle(cx: Double, cy: Double, halfW: Double, halfH: Double, cos: Double, sin: Double)
        case ellipse(cx: Double, cy: Double, rx: Double, ry: Double, cos: Double, sin: Double)
        case polygon(xs: [Double], ys: [Double])
        case segment(x0: Double, y0: Double, x1: Double, y1: Double, radius: Double)
    }
    let kind: Kind
    /// Pixel bounds, not clipped.
    let minX: Double, minY: Double, maxX: Double, maxY: Double

    init(_ shape: SyntheticShape, width: Int, height: Int) {
        let sx = Double(width), sy = Double(height)
        let b = shape.bounds
        minX = b.x * sx
        minY = b.y * sy
        maxX = (b.x + b.width) * sx
        maxY = (b.y + b.height) * sy
        switch shape {
        case let .rectangle(center, w, h, rotation):
            kind = .rectangle(cx: center.x * sx, cy: center.y * sy, halfW: w * sx / 2, halfH: h * sy / 2,
                              cos: cos(rotation), sin: sin(rotation))
        case let .ellipse(center, rx, ry, rotation):
            kind = .ellipse(cx: center.x * sx, cy: center.y * sy, rx: max(rx * sx, 1e-6), ry: max(ry * sy, 1e-6),
                            cos: cos(rotation), sin: sin(rotation))
        case let .polygon(points):
            kind = .polygon(xs: points.map { $0.x * sx }, ys: points.map { $0.y * sy })
        case let .segment(from, to, thickness):
            kind = .segment(x0: from.x * sx, y0: from.y * sy, x1: to.x * sx, y1: to.y * sy,
                            radius: thickness * (sx + sy) / 4)
        }
    }

    /// Signed distance in pixels from (px, py) to the outline: negative inside.
    func signedDistance(_ px: Double, _ py: Double) -> Double {
        switch kind {
        case let .rectangle(cx, cy, halfW, halfH, c, s):
            let dx = px - cx, dy = py - cy
            let qx = abs(c * dx + s * dy) - halfW, qy = abs(-s * dx + c * dy) - halfH
            let outside = (max(qx, 0) * max(qx, 0) + max(qy, 0) * max(qy, 0)).squareRoot()
            return outside + min(max(qx, qy), 0)
        case let .ellipse(cx, cy, rx, ry, c, s):
            let dx = px - cx, dy = py - cy
            let qx = c * dx + s * dy, qy = -s * dx + c * dy
            // First-order distance g / |grad g| for g = (x/rx)^2 + (y/ry)^2 - 1: exact at the outline,
            // which is where coverage needs it.
            let g = qx * qx / (rx * rx) + qy * qy / (ry * ry) - 1
            let gx = 2 * qx / (rx * rx), gy = 2 * qy / (ry * ry)
            let gradient = (gx * gx + gy * gy).squareRoot()
            return gradient > 1e-9 ? g / gradient : -min(rx, ry)
        case let .polygon(xs, ys):
            var best = Double.infinity
            var inside = false
            var j = xs.count - 1
            for i in 0..<xs.count {
                let ax = xs[j], ay = ys[j], bx = xs[i], by = ys[i]
                let ex = bx - ax, ey = by - ay
                let lengthSquared = ex * ex + ey * ey
                let t = lengthSquared > 0 ? min(max(((px - ax) * ex + (py - ay) * ey) / lengthSquared, 0), 1) : 0
                let ddx = px - (ax + t * ex), ddy = py - (ay + t * ey)
                best = min(best, ddx * ddx + ddy * ddy)
                if (ay > py) != (by > py), px < ax + (py - ay) * ex / ey {
                    inside.toggle()
                }
                j = i
            }
            return inside ? -best.squareRoot() : best.squareRoot()
        case let .segment(x0, y0, x1, y1, radius):
            let ex = x1 - x0, ey = y1 - y0
            let lengthSquared = ex * ex + ey * ey
            let t = lengthSquared > 0 ? min(max(((px - x0) * ex + (py - y0) * ey) / lengthSquared, 0), 1) : 0
            let ddx = px - (x0 + t * ex), ddy = py - (y0 + t * ey)
            return (ddx * ddx + ddy * ddy).squareRoot() - radius
        }
    }
}

/// An RGB drawing surface of `width` x `height` pixels that becomes an `Image`.
public struct SyntheticCanvas: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// [3, height, width], channels-first, unclamped while drawing.
    public private(set) var pixels: [Float]

    /// A canvas filled with `background`.
    public init(width: Int, height: Int, background: RGBColour) {
        precondition(width > 0 && height > 0, "SyntheticCanvas: size \(width)x\(height) must be positive")
        self.width = width
        self.height = height
        let plane = width * height
        var pixels = [Float](repeating: 0, count: 3 * plane)
        for i in 0..<plane {
            pixels[i] = background.red
            pixels[plane + i] = background.green
            pixels[2 * plane + i] = background.blue
        }
        self.pixels = pixels
    }

    /// A square canvas.
    public init(size: Int, background: RGBColour) {
        self.init(width: size, height: size, background: background)
    }

    /// The canvas as an image, values clamped to [0, 1].
    public var image: Image {
        Image(channels: 3, height: height, width: width, pixels: pixels.map { min(max($0, 0), 1) })
    }

    /// The value at channel `channel` of pixel (`x`, `y`).
    public func value(channel: Int, x: Int, y: Int) -> Float {
        pixels[(channel * height + y) * width + x]
    }

    /// Per-pixel coverage of `shape` in [0, 1], row-major [height, width]; `strokeWidth` > 0
    /// gives the coverage of its outline instead.
    public func coverage(of shape: SyntheticShape, strokeWidth: Double = 0) -> [Float] {
        var mask = [Float](repeating: 0, count: width * height)
        forEachCoveredPixel(shape, strokeWidth: strokeWidth) { index, cover in mask[index] = cover }
        return mask
    }

    /// Calls `body(pixelIndex, coverage)` for every pixel the shape (or its outline) touches.
    private func forEachCoveredPixel(_ shape: SyntheticShape, strokeWidth: Double, _ body: (Int, Float) -> Void) {
        let geometry = PixelShape(shape, width: width, height: height)
        let halfStroke = strokeWidth * Double(width + height) / 4
        let margin = 1 + halfStroke
        let x0 = max(0, Int((geometry.minX - margin).rounded(.down)))
        let x1 = min(width - 1, Int((geometry.maxX + margin).rounded(.up)))
        let y0 = max(0, Int((geometry.minY - margin).rounded(.down)))
        let y1 = min(height - 1, Int((geometry.maxY + margin).rounded(.up)))
        guard x0 <= x1, y0 <= y1 else { return }
        for y in y0...y1 {
            for x in x0...x1 {
                var distance = geometry.signedDistance(Double(x) + 0.5, Double(y) + 0.5)
                if halfStroke > 0 { distance = abs(distance) - halfStroke }
                let cover = Float(min(max(0.5 - distance, 0), 1))
                if cover > 0 { body(y * width + x, cover) }
            }
        }
    }

    /// Paints the inside of `shape` with `colour` at `opacity`, blending anti-aliased edges.
    public mutating func fill(_ shape: SyntheticShape, _ colour: RGBColour, opacity: Double = 1) {
        paint(shape, colour, opacity: opacity, strokeWidth: 0)
    }

    /// Paints the outline of `shape`, `lineWidth` wide (normalised units).
    public mutating func stroke(_ shape: SyntheticShape, _ colour: RGBColour, lineWidth: Double, opacity: Double = 1) {
        precondition(lineWidth > 0, "SyntheticCanvas.stroke: lineWidth \(lineWidth) must be positive")
        paint(shape, colour, opacity: opacity, strokeWidth: lineWidth)
    }

    private mutating func paint(_ shape: SyntheticShape, _ colour: RGBColour, opacity: Double, strokeWidth: Double) {
        let plane = width * height
        let alpha = Float(opacity)
        var pixels = self.pixels
        self.pixels = []  // keep the buffer uniquely referenced while painting
        forEachCoveredPixel(shape, strokeWidth: strokeWidth) { index, cover in
            let a = alpha * cover
            pixels[index] += a * (colour.red - pixels[index])
            pixels[plane + index] += a * (colour.green - pixels[plane + index])
            pixels[2 * plane + index] += a * (colour.blue - pixels[2 * plane + index])
        }
        self.pixels = pixels
    }

    /// Paints a linear gradient over the whole canvas: `start` colour at point `from`,
    /// `end` colour at point `to`, constant beyond them.
    public mutating func gradient(from: SyntheticPoint, _ start: RGBColour, to: SyntheticPoint, _ end: RGBColour) {
        let dx = to.x - from.x, dy = to.y - from.y
        let lengthSquared = max(dx * dx + dy * dy, 1e-12)
        let plane = width * height
        for y in 0..<height {
            for x in 0..<width {
                let px = (Double(x) + 0.5) / Double(width), py = (Double(y) + 0.5) / Double(height)
                let t = Float(min(max(((px - from.x) * dx + (py - from.y) * dy) / lengthSquared, 0), 1))
                let index = y * width + x
                pixels[index] = start.red + t * (end.red - start.red)
                pixels[plane + index] = start.green + t * (end.green - start.green)
                pixels[2 * plane + index] = start.blue + t * (end.blue - start.blue)
            }
        }
    }

    /// Adds smooth value noise (a random grid of `cells` x `cells` values, interpolated with a
    /// smoothstep) scaled to [-`amplitude`, `amplitude`], equally to the three channels, optionally
    /// only inside `region` (weighted by its coverage): clouds, tissue texture, grass.
    public mutating func addSoftNoise(amplitude: Double, cells: Int, random: inout SyntheticRandom,
                                      within region: SyntheticShape? = nil) {
        precondition(cells > 0, "SyntheticCanvas.addSoftNoise: cells \(cells) must be positive")
        let side = cells + 1
        var lattice = [Double](repeating: 0, count: side * side)
        for i in lattice.indices { lattice[i] = random.uniform(-1, 1) }
        let weights = region.map { coverage(of: $0) }
        let plane = width * height
        for y in 0..<height {
            let gy = (Double(y) + 0.5) / Double(height) * Double(cells)
            let iy = min(Int(gy), cells - 1)
            let ty = smoothstep(gy - Double(iy))
            for x in 0..<width {
                let index = y * width + x
                let weight = weights.map { Double($0[index]) } ?? 1
                guard weight > 0 else { continue }
                let gx = (Double(x) + 0.5) / Double(width) * Double(cells)
                let ix = min(Int(gx), cells - 1)
                let tx = smoothstep(gx - Double(ix))
                let top = lattice[iy * side + ix] * (1 - tx) + lattice[iy * side + ix + 1] * tx
                let bottom = lattice[(iy + 1) * side + ix] * (1 - tx) + lattice[(iy + 1) * side + ix + 1] * tx
                let delta = Float(amplitude * weight * (top * (1 - ty) + bottom * ty))
                pixels[index] += delta
                pixels[plane + index] += delta
                pixels[2 * plane + index] += delta
            }
        }
    }

    /// Adds independent per-pixel noise, uniform in [-`amplitude`, `amplitude`]; `monochrome`
    /// adds the same value to the three channels (film grain, scanner noise).
    public mutating func addGrain(amplitude: Double, random: inout SyntheticRandom, monochrome: Bool = true) {
        let plane = width * height
        for index in 0..<plane {
            if monochrome {
                let delta = Float(random.uniform(-amplitude, amplitude))
                pixels[index] += delta
                pixels[plane + index] += delta
                pixels[2 * plane + index] += delta
            } else {
                for channel in 0..<3 {
                    pixels[channel * plane + index] += Float(random.uniform(-amplitude, amplitude))
                }
            }
        }
    }

    /// Replaces every pixel by the mean of its 3x3 neighbourhood (edges clamped): the soft look
    /// of MRI and of out-of-focus photographs.
    public mutating func blur() {
        let plane = width * height
        var result = pixels
        for channel in 0..<3 {
            for y in 0..<height {
                for x in 0..<width {
                    var sum: Float = 0
                    for dy in -1...1 {
                        let yy = min(max(y + dy, 0), height - 1)
                        for dx in -1...1 {
                            let xx = min(max(x + dx, 0), width - 1)
                            sum += pixels[channel * plane + yy * width + xx]
                        }
                    }
                    result[channel * plane + y * width + x] = sum / 9
                }
            }
        }
        pixels = result
    }
}

@inline(__always) private func smoothstep(_ t: Double) -> Double { t * t * (3 - 2 * t) }

/// Named colours used by the generators; names are the words captions and answers use.
public enum SyntheticPalette {
    /// Saturated, clearly nameable colours.
    public static let named: [(name: String, colour: RGBColour)] = [
        ("red", RGBColour(red: 0.86, green: 0.16, blue: 0.14)),
        ("green", RGBColour(red: 0.18, green: 0.66, blue: 0.22)),
        ("blue", RGBColour(red: 0.16, green: 0.32, blue: 0.86)),
        ("yellow", RGBColour(red: 0.95, green: 0.85, blue: 0.15)),
        ("purple", RGBColour(red: 0.56, green: 0.22, blue: 0.70)),
        ("orange", RGBColour(red: 0.96, green: 0.55, blue: 0.12)),
        ("white", RGBColour(red: 0.95, green: 0.95, blue: 0.95)),
        ("black", RGBColour(red: 0.08, green: 0.08, blue: 0.08)),
        ("gray", RGBColour(red: 0.52, green: 0.52, blue: 0.52)),
        ("brown", RGBColour(red: 0.50, green: 0.31, blue: 0.14)),
    ]

    /// The colour called `name`.
    public static func colour(_ name: String) -> RGBColour {
        guard let entry = named.first(where: { $0.name == name }) else {
            preconditionFailure("SyntheticPalette: no colour named \(name)")
        }
        return entry.colour
    }

    /// A gray level.
    public static func gray(_ level: Double) -> RGBColour {
        RGBColour(red: Float(level), green: Float(level), blue: Float(level))
    }

    /// `colour` with each channel moved by up to `amount`: the same name, never the same pixels.
    public static func jittered(_ colour: RGBColour, by amount: Double, random: inout SyntheticRandom) -> RGBColour {
        func move(_ v: Float) -> Float { min(max(v + Float(random.uniform(-amount, amount)), 0), 1) }
        return RGBColour(red: move(colour.red), green: move(colour.green), blue: move(colour.blue))
    }

    /// A linear mix: `t` = 0 gives `a`, 1 gives `b`.
    public static func mix(_ a: RGBColour, _ b: RGBColour, _ t: Double) -> RGBColour {
        let f = Float(t)
        return RGBColour(red: a.red + f * (b.red - a.red), green: a.green + f * (b.green - a.green),
                         blue: a.blue + f * (b.blue - a.blue))
    }
}

/// A drawing in its own local frame, kept as a list of paint operations so that it can be
/// placed anywhere (`draw(on:transform:)`) and its exact bounds reported as the object's box.
public struct SyntheticSketch: Sendable {
    /// One paint operation: fill when `lineWidth` is nil, stroke otherwise.
    public struct Operation: Sendable {
        public var shape: SyntheticShape
        public var colour: RGBColour
        public var lineWidth: Double?
        public var opacity: Double
    }

    public private(set) var operations: [Operation] = []

    public init() {}

    /// Adds a filled shape.
    public mutating func fill(_ shape: SyntheticShape, _ colour: RGBColour, opacity: Double = 1) {
        operations.append(Operation(shape: shape, colour: colour, lineWidth: nil, opacity: opacity))
    }

    /// Adds an outlined shape.
    public mutating func stroke(_ shape: SyntheticShape, _ colour: RGBColour, lineWidth: Double, opacity: Double = 1) {
        operations.append(Operation(shape: shape, colour: colour, lineWidth: lineWidth, opacity: opacity))
    }

    /// Adds a straight line.
    public mutating func line(_ from: SyntheticPoint, _ to: SyntheticPoint, _ colour: RGBColour, width: Double) {
        fill(.segment(from: from, to: to, thickness: width), colour)
    }

    /// Appends all operations of another sketch.
    public mutating func append(_ other: SyntheticSketch) {
        operations += other.operations
    }

    /// The shapes as placed by `transform` (strokes widened by half their line width).
    public func placedShapes(_ transform: SyntheticTransform) -> [SyntheticShape] {
        operations.map { $0.shape.transformed(by: transform) }
    }

    /// The exact bounds of the placed drawing, strokes included (not clipped to the image).
    public func bounds(_ transform: SyntheticTransform) -> BoundingBox {
        precondition(!operations.isEmpty, "SyntheticSketch.bounds: empty sketch")
        var result: BoundingBox?
        for operation in operations {
            var box = operation.shape.transformed(by: transform).bounds
            if let lineWidth = operation.lineWidth {
                let half = lineWidth * transform.scale / 2
                box = BoundingBox(x: box.x - half, y: box.y - half, width: box.width + 2 * half, height: box.height + 2 * half)
            }
            result = result.map { $0.union(box) } ?? box
        }
        return result!
    }

    /// Paints the drawing onto `canvas` and returns its bounds clipped to the image.
    @discardableResult
    public func draw(on canvas: inout SyntheticCanvas, transform: SyntheticTransform = SyntheticTransform()) -> BoundingBox {
        for operation in operations {
            let placed = operation.shape.transformed(by: transform)
            if let lineWidth = operation.lineWidth {
                canvas.stroke(placed, operation.colour, lineWidth: lineWidth * transform.scale, opacity: operation.opacity)
            } else {
                canvas.fill(placed, operation.colour, opacity: operation.opacity)
            }
        }
        return bounds(transform).clippedToUnitSquare()
    }
}
