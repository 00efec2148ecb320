// SVGPlot: self-contained SVG charts for experiment reports.
//
// Three uses in this project: a metric per round per algorithm (line plot), IID vs non-IID per
// method (grouped bars), and accuracy over the Dirichlet alpha of the partition (line plot with a
// log10 x axis). Output is plain SVG 1.1: no scripts, no external fonts or style sheets, every
// caller string escaped, coordinates printed with two decimals so the same plot is the same bytes.
//
// Picture (pixels; width W, height H):
//   top:    title (if any), then the plot area;
//   left:   y tick labels and the rotated y-axis label;
//   bottom: x tick (or category) labels and the x-axis label;
//   right:  the legend, one entry per series.
// Colours follow Okabe & Ito, "Color Universal Design" (2008), a palette distinguishable with
// the common colour-vision deficiencies; from the ninth series on, dash patterns tell series apart.

import Foundation

/// Points of one line in a line plot.
public struct LineSeries: Sendable, Hashable, Codable {
    /// The series' legend name, e.g. "FedAvg".
    public var name: String
    /// The points in drawing order; points with a NaN/infinite coordinate (or a non-positive x
    /// on a log axis) are skipped and break the line.
    public var points: [PlotPoint]

    /// Creates a series from points.
    public init(_ name: String, points: [PlotPoint]) {
        self.name = name
        self.points = points
    }

    /// Creates a series of one value per round: `values[i]` is drawn at x = `firstX + i`.
    ///
    /// Use NaN for a round without a value.
    public init(_ name: String, values: [Double], firstX: Double = 1) {
        self.init(name, points: values.enumerated().map { PlotPoint(x: firstX + Double($0.offset), y: $0.element) })
    }
}

/// One point of a ``LineSeries``.
public struct PlotPoint: Sendable, Hashable, Codable {
    /// Horizontal value, e.g. the round or the Dirichlet alpha.
    public var x: Double
    /// Vertical value, e.g. the accuracy; NaN for missing.
    public var y: Double

    /// Creates a point.
    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// One series of a grouped bar chart: one value per category.
public struct BarSeries: Sendable, Hashable, Codable {
    /// The series' legend name, e.g. "IID".
    public var name: String
    /// One value per category of the chart, in category order; NaN for a missing bar.
    public var values: [Double]

    /// Creates a bar series.
    public init(_ name: String, values: [Double]) {
        self.name = name
        self.values = values
    }
}

/// A self-contained SVG chart: a line plot or a grouped bar chart.
///
/// Build one with ``lines(title:xAxis:yAxis:series:width:height:)`` or
/// ``groupedBars(title:categoryLabel:categories:yAxis:series:width:height:)`` and render it with
/// ``svg()``. The SVG carries its own size, white background and fonts (generic `sans-serif`),
/// so it works as a file and inline in HTML.
public struct SVGPlot: Sendable, Hashable {
    /// What the chart draws.
    public enum Content: Sendable, Hashable {
        /// One line per series over a numeric x axis.
        case lines([LineSeries])
        /// For each category, one bar per series side by side.
        case groupedBars(categories: [String], series: [BarSeries])
    }

    /// The title shown above the chart and as the SVG `<title>`.
    public let title: String
    /// The horizontal axis (for bar charts only its label is used).
    public let xAxis: PlotAxis
    /// The vertical axis.
    public let yAxis: PlotAxis
    /// The series drawn.
    public let content: Content
    /// Width in pixels.
    public let width: Int
    /// Height in pixels (grows if the legend needs more room).
    public let height: Int

    private init(title: String, xAxis: PlotAxis, yAxis: PlotAxis, content: Content, width: Int, height: Int) {
        self.title = title
        self.xAxis = xAxis
        self.yAxis = yAxis
        self.content = content
        self.width = width
        self.height = height
    }

    /// A line plot, e.g. accuracy per round per algorithm, or accuracy over Dirichlet alpha with
    /// `xAxis: PlotAxis("Dirichlet alpha", scale: .log10)`.
    ///
    /// Each non-empty series becomes one `<path>` (restarting after skipped points) plus
    /// circle markers; a series with nothing to draw keeps its legend entry, marked "(no data)".
    /// - Throws: ``ReportError`` if a fixed axis range is empty, not finite, or not positive on a
    ///   log axis, or if the size is below 200 x 150 pixels.
    public static func lines(title: String, xAxis: PlotAxis, yAxis: PlotAxis, series: [LineSeries],
                             width: Int = 640, height: Int = 400) throws -> SVGPlot {
        try validate(title: title, xAxis: xAxis, yAxis: yAxis, width: width, height: height)
        return SVGPlot(title: title, xAxis: xAxis, yAxis: yAxis, content: .lines(series), width: width, height: height)
    }

    /// A grouped bar chart, e.g. accuracy per method (categories) for IID and non-IID (series).
    ///
    /// Bars start at zero; NaN values draw no bar. Each bar carries a `<title>` tooltip with its
    /// series, category and value.
    /// - Throws: ``ReportError`` if a series has a value count different from the category count,
    ///   the y axis is logarithmic, or the fixed y range or size is invalid.
    public static func groupedBars(title: String, categoryLabel: String, categories: [String], yAxis: PlotAxis,
                                   series: [BarSeries], width: Int = 640, height: Int = 400) throws -> SVGPlot {
        let xAxis = PlotAxis(categoryLabel)
        try validate(title: title, xAxis: xAxis, yAxis: yAxis, width: width, height: height)
        if yAxis.scale != .linear {
            throw ReportError("plot \"\(title)\": a bar chart needs a linear y axis, got \(yAxis.scale)")
        }
        for (index, bars) in series.enumerated() where bars.values.count != categories.count {
            throw ReportError("plot \"\(title)\": bar series \(index) \"\(bars.name)\" has \(bars.values.count) "
                + "values for \(categories.count) categories")
        }
        return SVGPlot(title: title, xAxis: xAxis, yAxis: yAxis,
                       content: .groupedBars(categories: categories, series: series), width: width, height: height)
    }

    private static func validate(title: String, xAxis: PlotAxis, yAxis: PlotAxis, width: Int, height: Int) throws {
        try xAxis.validate(plotTitle: title, axisName: "x")
        try yAxis.validate(plotTitle: title, axisName: "y")
        if width < 200 || height < 150 {
            throw ReportError("plot \"\(title)\": size \(width)x\(height) is below the minimum 200x150 pixels")
        }
    }

    /// The colour of the series at `index`: the Okabe-Ito palette, most contrasting on white first
    /// (its yellow is last because it is faint on white).
    public static func color(forSeries index: Int) -> String {
        palette[index % palette.count]
    }

    static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
    /// SVG `stroke-dasharray` values; one per trip round the palette.
    static let dashPatterns = ["", "6 3", "2 3", "8 3 2 3"]

    /// Line series with more points than this get markers only on isolated points.
    static let markerPointLimit = 40

    /// The SVG document (no XML declaration, so it can also be inlined in HTML), ending in a newline.
    public func svg() -> String {
        var canvas = SVGCanvas()
        let legendEntries: [(name: String, hasData: Bool)]
        var xValues: [Double] = []
        var yValues: [Double] = []
        switch content {
        case .lines(let series):
            legendEntries = series.map { line in
                (line.name, line.points.contains { xAxis.canShow($0.x) && yAxis.canShow($0.y) })
            }
            for line in series {
                for point in line.points where xAxis.canShow(point.x) && yAxis.canShow(point.y) {
                    xValues.append(point.x)
                    yValues.append(point.y)
                }
            }
        case .groupedBars(_, let series):
            legendEntries = series.map { bars in (bars.name, bars.values.contains { yAxis.canShow($0) }) }
            yValues = series.flatMap { $0.values.filter { yAxis.canShow($0) } }
        }

        // Layout.
        let characterWidth = 6.6  // average width of a 12 px sans-serif character
        let legendTextWidth = legendEntries.map { Double(legendLabel($0).count) * characterWidth }.max() ?? 0
        // At most 35% of the width goes to the legend; longer names run past the right edge.
        let legendWidth = legendEntries.isEmpty ? 0 : min(36 + legendTextWidth, 0.35 * Double(width))
        let top = title.isEmpty ? 16.0 : 40.0
        let left = 68.0
        var bottom = 52.0
        var rotateCategoryLabels = false
        if case .groupedBars(let categories, _) = content, !categories.isEmpty {
            let slot = (Double(width) - left - 16 - legendWidth) / Double(categories.count)
            let widest = Double(categories.map(\.count).max() ?? 0) * characterWidth
            if widest > slot * 0.95 {
                rotateCategoryLabels = true
                bottom = 40 + min(widest, 160) * 0.6
            }
        }
        let legendHeight = Double(legendEntries.count) * 18 + 8
        let totalHeight = max(Double(height), top + legendHeight + bottom)
        let plot = PlotArea(x: left, y: top, width: Double(width) - left - 16 - legendWidth, height: totalHeight - top - bottom)

        canvas.open(width: Double(width), height: totalHeight, title: title)
        if !title.isEmpty {
            canvas.text(title, x: Double(width) / 2, y: 24, anchor: "middle", attributes: "font-size=\"15\" font-weight=\"bold\"")
        }

        let yLayout = AxisLayout(axis: yAxis, values: yValues, includeZero: isBarChart)
        func pixelY(_ value: Double) -> Double { plot.y + plot.height * (1 - yLayout.fraction(of: value)) }

        // Horizontal grid lines and y ticks.
        canvas.line("<g stroke=\"#dddddd\" stroke-width=\"1\">")
        for tick in yLayout.ticks {
            canvas.line("<line x1=\"\(coordinate(plot.x))\" y1=\"\(coordinate(pixelY(tick.value)))\" x2=\"\(coordinate(plot.x + plot.width))\" "
                + "y2=\"\(coordinate(pixelY(tick.value)))\"/>")
        }
        var xLayout: AxisLayout?
        if case .lines = content {
            let layout = AxisLayout(axis: xAxis, values: xValues)
            xLayout = layout
            for tick in layout.ticks {
                let x = plot.x + plot.width * layout.fraction(of: tick.value)
                canvas.line("<line x1=\"\(coordinate(x))\" y1=\"\(coordinate(plot.y))\" x2=\"\(coordinate(x))\" y2=\"\(coordinate(plot.y + plot.height))\"/>")
            }
        }
        canvas.line("</g>")

        // Frame, ticks, tick labels and axis labels.
        canvas.line("<rect x=\"\(coordinate(plot.x))\" y=\"\(coordinate(plot.y))\" width=\"\(coordinate(plot.width))\" height=\"\(coordinate(plot.height))\" "
            + "fill=\"none\" stroke=\"#333333\" stroke-width=\"1\"/>")
        canvas.line("<g stroke=\"#333333\" stroke-width=\"1\">")
        for tick in yLayout.ticks {
            canvas.line("<line x1=\"\(coordinate(plot.x - 5))\" y1=\"\(coordinate(pixelY(tick.value)))\" x2=\"\(coordinate(plot.x))\" "
                + "y2=\"\(coordinate(pixelY(tick.value)))\"/>")
        }
        if let xLayout {
            for tick in xLayout.ticks {
                let x = plot.x + plot.width * xLayout.fraction(of: tick.value)
                canvas.line("<line x1=\"\(coordinate(x))\" y1=\"\(coordinate(plot.y + plot.height))\" x2=\"\(coordinate(x))\" "
                    + "y2=\"\(coordinate(plot.y + plot.height + 5))\"/>")
            }
        }
        canvas.line("</g>")
        canvas.line("<g font-size=\"11\" fill=\"#333333\">")
        for tick in yLayout.ticks {
            canvas.text(tick.label, x: plot.x - 8, y: pixelY(tick.value) + 4, anchor: "end")
        }
        if let xLayout {
            for tick in xLayout.ticks {
                canvas.text(tick.label, x: plot.x + plot.width * xLayout.fraction(of: tick.value),
                            y: plot.y + plot.height + 18, anchor: "middle")
            }
        }
        canvas.line("</g>")
        let xLabelY = plot.y + plot.height + (rotateCategoryLabels ? bottom - 8 : 40)
        canvas.text(xAxis.label, x: plot.x + plot.width / 2, y: xLabelY, anchor: "middle")
        let yLabelX = 18.0
        let yLabelY = plot.y + plot.height / 2
        canvas.text(yAxis.label, x: yLabelX, y: yLabelY, anchor: "middle",
                    attributes: "transform=\"rotate(-90 \(coordinate(yLabelX)) \(coordinate(yLabelY)))\"")

        // Data.
        switch content {
        case .lines(let series):
            guard let xLayout else { preconditionFailure("line plot without an x layout") }
            drawLines(series, on: &canvas, plot: plot, xLayout: xLayout, pixelY: pixelY)
        case .groupedBars(let categories, let series):
            drawBars(series, categories: categories, rotateLabels: rotateCategoryLabels, on: &canvas,
                     plot: plot, pixelY: pixelY, yLayout: yLayout)
        }
        if !legendEntries.contains(where: \.hasData) {
            canvas.text("no data", x: plot.x + plot.width / 2, y: plot.y + plot.height / 2, anchor: "middle",
                        attributes: "fill=\"#777777\"")
        }

        // Legend.
        if !legendEntries.isEmpty {
            canvas.line("<g class=\"legend\">")
            let legendX = plot.x + plot.width + 12
            for (index, entry) in legendEntries.enumerated() {
                let y = plot.y + 8 + Double(index) * 18
                let color = Self.color(forSeries: index)
                if isBarChart {
                    canvas.line("<rect x=\"\(coordinate(legendX))\" y=\"\(coordinate(y - 5))\" width=\"16\" height=\"10\" fill=\"\(color)\"/>")
                } else {
                    canvas.line("<line x1=\"\(coordinate(legendX))\" y1=\"\(coordinate(y))\" x2=\"\(coordinate(legendX + 18))\" y2=\"\(coordinate(y))\" "
                        + "stroke=\"\(color)\" stroke-width=\"2\"\(dashAttribute(index))/>")
                    canvas.line("<circle cx=\"\(coordinate(legendX + 9))\" cy=\"\(coordinate(y))\" r=\"2.5\" fill=\"\(color)\"/>")
                }
                canvas.text(legendLabel(entry), x: legendX + 24, y: y + 4, anchor: "start")
            }
            canvas.line("</g>")
        }
        canvas.close()
        return canvas.output
    }

    private var isBarChart: Bool {
        if case .groupedBars = content { return true }
        return false
    }

    private func legendLabel(_ entry: (name: String, hasData: Bool)) -> String {
        entry.hasData ? entry.name : "\(entry.name) (no data)"
    }

    private func dashAttribute(_ seriesIndex: Int) -> String {
        let pattern = Self.dashPatterns[(seriesIndex / Self.palette.count) % Self.dashPatterns.count]
        return pattern.isEmpty ? "" : " stroke-dasharray=\"\(pattern)\""
    }

    private func drawLines(_ series: [LineSeries], on canvas: inout SVGCanvas,
                           plot: PlotArea,
                           xLayout: AxisLayout, pixelY: (Double) -> Double) {
        for (index, line) in series.enumerated() {
            // Runs of drawable points; a skipped point ends a run.
            var runs: [[(x: Double, y: Double)]] = [[]]
            for point in line.points {
                if xAxis.canShow(point.x) && yAxis.canShow(point.y) {
                    runs[runs.count - 1].append((plot.x + plot.width * xLayout.fraction(of: point.x), pixelY(point.y)))
                } else if !runs[runs.count - 1].isEmpty {
                    runs.append([])
                }
            }
            runs.removeAll { $0.isEmpty }
            guard !runs.isEmpty else { continue }
            let color = Self.color(forSeries: index)
            let pathData = runs.map { run in
                run.enumerated().map { step, point in "\(step == 0 ? "M" : "L")\(coordinate(point.x)) \(coordinate(point.y))" }
                    .joined(separator: " ")
            }.joined(separator: " ")
            canvas.line("<g class=\"series\">")
            canvas.line("<title>\(escapeMarkup(line.name))</title>")
            canvas.line("<path d=\"\(pathData)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" "
                + "stroke-linejoin=\"round\"\(dashAttribute(index))/>")
            let pointCount = runs.reduce(0) { $0 + $1.count }
            for run in runs where pointCount <= Self.markerPointLimit || run.count == 1 {
                for point in run {
                    canvas.line("<circle cx=\"\(coordinate(point.x))\" cy=\"\(coordinate(point.y))\" r=\"2.5\" fill=\"\(color)\"/>")
                }
            }
            canvas.line("</g>")
        }
    }

    private func drawBars(_ series: [BarSeries], categories: [String], rotateLabels: Bool, on canvas: inout SVGCanvas,
                          plot: PlotArea,
                          pixelY: (Double) -> Double, yLayout: AxisLayout) {
        guard !categories.isEmpty else { return }
        let slot = plot.width / Double(categories.count)
        let barWidth = series.isEmpty ? 0 : slot * 0.8 / Double(series.count)
        // Bars grow from zero, or from the nearest domain edge when a fixed range excludes zero.
        let baseline = pixelY(min(max(0, yLayout.domain.lowerBound), yLayout.domain.upperBound))
        for (index, bars) in series.enumerated() {
            let color = Self.color(forSeries: index)
            canvas.line("<g class=\"series\" fill=\"\(color)\">")
            for (categoryIndex, value) in bars.values.enumerated() where yAxis.canShow(value) {
                let x = plot.x + slot * Double(categoryIndex) + slot * 0.1 + barWidth * Double(index)
                // Round the edges, not the height, so all bars share one baseline pixel exactly.
                let top = roundedToHundredths(min(pixelY(value), baseline))
                let height = roundedToHundredths(max(pixelY(value), baseline)) - top
                let tooltip = "\(bars.name), \(categories[categoryIndex]): \(shortNumber(value))"
                canvas.line("<rect x=\"\(coordinate(x))\" y=\"\(coordinate(top))\" width=\"\(coordinate(barWidth))\" height=\"\(coordinate(height))\">"
                    + "<title>\(escapeMarkup(tooltip))</title></rect>")
            }
            canvas.line("</g>")
        }
        canvas.line("<g font-size=\"11\" fill=\"#333333\">")
        for (categoryIndex, category) in categories.enumerated() {
            let x = plot.x + slot * (Double(categoryIndex) + 0.5)
            let y = plot.y + plot.height + 16
            if rotateLabels {
                canvas.text(category, x: x, y: y, anchor: "end", attributes: "transform=\"rotate(-35 \(coordinate(x)) \(coordinate(y)))\"")
            } else {
                canvas.text(category, x: x, y: y, anchor: "middle")
            }
        }
        canvas.line("</g>")
    }
}

/// The rectangle holding the data, in pixels from the top-left corner of the SVG.
struct PlotArea {
    var x: Double
    var y: Double
    var width: Double
    var height: Double
}

/// Accumulates SVG lines.
struct SVGCanvas {
    private(set) var output = ""

    mutating func line(_ text: String) {
        output += text
        output += "\n"
    }

    mutating func open(width: Double, height: Double, title: String) {
        line("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(coordinate(width))\" height=\"\(coordinate(height))\" "
            + "viewBox=\"0 0 \(coordinate(width)) \(coordinate(height))\" font-family=\"sans-serif\" font-size=\"12\">")
        if !title.isEmpty { line("<title>\(escapeMarkup(title))</title>") }
        line("<rect x=\"0\" y=\"0\" width=\"\(coordinate(width))\" height=\"\(coordinate(height))\" fill=\"#ffffff\"/>")
    }

    /// A `<text>` element; `text` is escaped here, `attributes` must already be safe.
    mutating func text(_ text: String, x: Double, y: Double, anchor: String, attributes: String = "") {
        guard !text.isEmpty else { return }
        let extra = attributes.isEmpty ? "" : " " + attributes
        line("<text x=\"\(coordinate(x))\" y=\"\(coordinate(y))\" text-anchor=\"\(anchor)\"\(extra)>\(escapeMarkup(singleLine(text)))</text>")
    }

    mutating func close() {
        line("</svg>")
    }
}

/// A coordinate with at most two decimals, trailing zeros dropped ("12.5", "40", "7.25").
func coordinate(_ value: Double) -> String {
    var text = formatFixed(value, decimals: 2)
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text
}

/// `value` rounded to two decimals, the precision of SVG coordinates written here.
func roundedToHundredths(_ value: Double) -> Double {
    (value * 100).rounded() / 100
}

/// A value for a tooltip: up to four decimals, trailing zeros dropped.
func shortNumber(_ value: Double) -> String {
    var text = formatFixed(value, decimals: 4)
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text
}
