// Axes of SVGPlot: scales, value-to-pixel mapping and tick positions with their labels.
//
// Linear ticks use Heckbert's "nice numbers" (Graphics Gems, 1990): the step is 1, 2 or 5 times a
// power of ten, and the automatic axis range is widened to whole steps. Log ticks sit at powers
// of ten (0.01, 0.1, 1, 10, ...), which suits a Dirichlet alpha sweep (FedVLMBench, Sec. 3:
// Fed-FGVC at four Dirichlet levels).

import Foundation

/// How values map to positions along an axis.
public enum AxisScale: String, Sendable, Hashable, Codable, CaseIterable {
    /// Equal steps of value are equal distances.
    case linear
    /// Equal ratios of value are equal distances; only positive values can be shown.
    case log10
}

/// One axis of an ``SVGPlot``: its label, scale and optional fixed range.
public struct PlotAxis: Sendable, Hashable, Codable {
    /// The axis title, e.g. "Round" or "Accuracy".
    public var label: String
    /// Linear or base-10 logarithmic.
    public var scale: AxisScale
    /// A fixed range (e.g. `0...1` for accuracy); `nil` fits the data. Points outside a fixed
    /// range are left out.
    public var range: ClosedRange<Double>?

    /// Creates an axis.
    public init(_ label: String, scale: AxisScale = .linear, range: ClosedRange<Double>? = nil) {
        self.label = label
        self.scale = scale
        self.range = range
    }

    /// Checks the fixed range, naming the plot and axis in the error.
    func validate(plotTitle: String, axisName: String) throws {
        guard let range else { return }
        if !range.lowerBound.isFinite || !range.upperBound.isFinite || range.lowerBound >= range.upperBound {
            throw ReportError("plot \"\(plotTitle)\": \(axisName) axis range \(range) must be finite with lower < upper")
        }
        if scale == .log10 && range.lowerBound <= 0 {
            throw ReportError("plot \"\(plotTitle)\": \(axisName) axis is log10 but its range \(range) is not positive")
        }
    }

    /// True if `value` can be placed on this axis (finite, positive on a log axis, inside a fixed range).
    func canShow(_ value: Double) -> Bool {
        guard value.isFinite else { return false }
        if scale == .log10 && value <= 0 { return false }
        if let range, !range.contains(value) { return false }
        return true
    }
}

/// A resolved axis: the value domain drawn, its ticks, and the mapping onto pixels.
struct AxisLayout {
    /// Smallest and largest value drawn.
    var domain: ClosedRange<Double>
    /// Tick values with their labels, ascending.
    var ticks: [(value: Double, label: String)]
    var scale: AxisScale

    /// Lays out an axis for the values it must show (already filtered by `PlotAxis.canShow`).
    ///
    /// - Parameters:
    ///   - includeZero: force 0 into an automatic linear range (bar charts start at 0).
    init(axis: PlotAxis, values: [Double], includeZero: Bool = false) {
        scale = axis.scale
        switch axis.scale {
        case .linear:
            var low = values.min() ?? 0
            var high = values.max() ?? 1
            if includeZero { low = min(low, 0); high = max(high, 0) }
            if let range = axis.range {
                let step = niceLinearStep(low: range.lowerBound, high: range.upperBound)
                domain = range
                ticks = linearTicks(from: range.lowerBound, to: range.upperBound, step: step)
            } else {
                if low == high {
                    // One distinct value: give it room, 10% of its size or 1 for zero.
                    let pad = low == 0 ? 1 : abs(low) * 0.1
                    low -= pad
                    high += pad
                    if includeZero && values.allSatisfy({ $0 >= 0 }) { low = max(low, 0) }
                }
                let step = niceLinearStep(low: low, high: high)
                let niceLow = (low / step).rounded(.down) * step
                let niceHigh = (high / step).rounded(.up) * step
                domain = niceLow...niceHigh
                ticks = linearTicks(from: niceLow, to: niceHigh, step: step)
            }
        case .log10:
            let (lowDecade, highDecade): (Int, Int)
            if let range = axis.range {
                domain = range
                lowDecade = Int(Foundation.log10(range.lowerBound).rounded(.up))
                highDecade = Int(Foundation.log10(range.upperBound).rounded(.down))
            } else {
                var low = Int(Foundation.log10(values.min() ?? 1).rounded(.down))
                var high = Int(Foundation.log10(values.max() ?? 10).rounded(.up))
                if low == high { low -= 1; high += 1 }
                domain = Foundation.pow(10, Double(low))...Foundation.pow(10, Double(high))
                (lowDecade, highDecade) = (low, high)
            }
            // At most about eight labelled decades.
            let stride = max(1, (highDecade - lowDecade + 8) / 8)
            ticks = lowDecade > highDecade ? [] : Swift.stride(from: lowDecade, through: highDecade, by: stride).map { decade in
                (Foundation.pow(10, Double(decade)), powerOfTenLabel(decade))
            }
        }
    }

    /// Where `value` falls between the domain ends, 0 at the low end and 1 at the high end.
    func fraction(of value: Double) -> Double {
        switch scale {
        case .linear:
            return (value - domain.lowerBound) / (domain.upperBound - domain.lowerBound)
        case .log10:
            let low = Foundation.log10(domain.lowerBound)
            return (Foundation.log10(value) - low) / (Foundation.log10(domain.upperBound) - low)
        }
    }
}

/// A step of 1, 2 or 5 times a power of ten giving about five ticks over `low...high`.
func niceLinearStep(low: Double, high: Double, targetTickCount: Int = 5) -> Double {
    let span = niceNumber(high - low, rounding: false)
    return niceNumber(span / Double(targetTickCount - 1), rounding: true)
}

/// Heckbert's nice number: 1, 2, 5 or 10 times a power of ten near `value` (rounded to the
/// nearest when `rounding`, else the next one up).
func niceNumber(_ value: Double, rounding: Bool) -> Double {
    precondition(value > 0 && value.isFinite, "nice number of a non-positive span \(value)")
    let exponent = Foundation.log10(value).rounded(.down)
    let power = Foundation.pow(10, exponent)
    let fraction = value / power
    let nice: Double = if rounding {
        fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
    } else {
        fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
    }
    return nice * power
}

/// Multiples of `step` inside `low...high`, labelled with as many decimals as the step needs.
func linearTicks(from low: Double, to high: Double, step: Double) -> [(value: Double, label: String)] {
    precondition(step > 0 && step.isFinite, "tick step must be positive and finite, got \(step)")
    // Fewest decimals that write the step exactly (0.2 -> 1, 0.25 -> 2, 50 -> 0).
    var decimals = 0
    while decimals < 12 {
        let scaled = step * Foundation.pow(10, Double(decimals))
        if abs(scaled - scaled.rounded()) <= 1e-6 * scaled { break }
        decimals += 1
    }
    let first = Int((low / step - 1e-9).rounded(.up))
    let last = Int((high / step + 1e-9).rounded(.down))
    guard first <= last else { return [] }
    // Multiply an integer index rather than accumulate, so no rounding error builds up.
    return (first...last).map { index in
        let value = Double(index) * step
        return (value, formatFixed(value, decimals: decimals))
    }
}

/// "0.01", "1", "1000" for moderate decades; "1e-6", "1e7" beyond.
func powerOfTenLabel(_ decade: Int) -> String {
    switch decade {
    case -4 ..< 0: formatFixed(Foundation.pow(10, Double(decade)), decimals: -decade)
    case 0 ... 5: "1" + String(repeating: "0", count: decade)
    default: "1e\(decade)"
    }
}
