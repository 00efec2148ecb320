// Tests of SVGPlot: well-formed XML, one <path> per non-empty line series, skipped NaN points,
// bars per value, escaping, axis ticks (linear and log10), validation and determinism.

import Foundation
import Testing
@testable import Reports

private func roundsPlot() throws -> SVGPlot {
    try SVGPlot.lines(
        title: "Accuracy per round", xAxis: PlotAxis("Round"), yAxis: PlotAxis("Accuracy"),
        series: [
            LineSeries("FedAvg", values: [0.30, 0.50, 0.60, .nan, 0.70, 0.72]),
            LineSeries("FedProx", values: [0.20, 0.45, 0.62, 0.66, 0.69, 0.71]),
            LineSeries("Empty", values: []),
            LineSeries("All missing", values: [.nan, .nan]),
        ])
}

@Test func xmlCheckRejectsMalformedDocuments() {
    // The checker itself must be able to fail.
    #expect(XMLCheck("<svg><g></g></svg>").isWellFormed)
    #expect(!XMLCheck("<svg><g></svg>").isWellFormed)
    #expect(!XMLCheck("<svg><text>a & b</text></svg>").isWellFormed)
    #expect(!XMLCheck("<svg><rect x=\"<\"/></svg>").isWellFormed)
    #expect(!XMLCheck("").isWellFormed)
}

@Test func linePlotIsWellFormedWithOnePathPerNonEmptySeries() throws {
    let svg = try roundsPlot().svg()
    let check = XMLCheck(svg)
    #expect(check.isWellFormed, "\(check.errorDescription ?? "")")
    #expect(check.elementNames.first == "svg")
    #expect(check.count(of: "path") == 2, "two series have drawable points")
    let paths = check.attributes(of: "path").compactMap { $0["d"] }
    // FedAvg's NaN at round 4 splits its line into two runs: two move commands.
    #expect(paths[0].filter { $0 == "M" }.count == 2)
    #expect(paths[0].filter { $0 == "L" }.count == 3)
    #expect(paths[1].filter { $0 == "M" }.count == 1)
    #expect(paths[1].filter { $0 == "L" }.count == 5)
    // 5 + 6 markers on the data, 4 in the legend.
    #expect(check.count(of: "circle") == 15)
    #expect(check.text.contains("Empty (no data)"))
    #expect(check.text.contains("All missing (no data)"))
    // Colours of the first two series.
    #expect(check.attributes(of: "path").map { $0["stroke"] } == [SVGPlot.color(forSeries: 0), SVGPlot.color(forSeries: 1)])
    #expect(!svg.contains("<script"))
    #expect(!svg.contains("NaN"))
}

@Test func linearTicksAreNiceNumbers() throws {
    let check = XMLCheck(try roundsPlot().svg())
    // y data 0.2...0.72 -> nice range 0.2...0.8 in steps of 0.2; x rounds 1...6 in steps of 1.
    for label in ["0.2", "0.4", "0.6", "0.8", "1", "2", "3", "4", "5", "6", "Round", "Accuracy", "Accuracy per round"] {
        #expect(check.text.contains(label), "missing label \(label)")
    }
    #expect(niceNumber(0.52, rounding: false) == 1)
    #expect(niceNumber(0.16, rounding: true) == 0.2)
    #expect(niceNumber(0.35, rounding: true) == 0.5)
    #expect(niceNumber(72, rounding: false) == 100)
    #expect(abs(niceLinearStep(low: 0.2, high: 0.72) - 0.2) < 1e-12)
    #expect(linearTicks(from: 0, to: 1, step: 0.25).map(\.label) == ["0.00", "0.25", "0.50", "0.75", "1.00"])
    #expect(linearTicks(from: 0, to: 100, step: 20).map(\.label) == ["0", "20", "40", "60", "80", "100"])
    let constant = AxisLayout(axis: PlotAxis("y"), values: [5, 5])
    #expect(constant.domain.lowerBound < 5 && constant.domain.upperBound > 5, "a constant series gets room")
}

@Test func logAxisPlacesDecadesEvenly() throws {
    let layout = AxisLayout(axis: PlotAxis("alpha", scale: .log10), values: [0.1, 0.5, 1, 5])
    #expect(layout.domain == 0.1...10)
    #expect(layout.ticks.map(\.label) == ["0.1", "1", "10"])
    #expect(abs(layout.fraction(of: 1) - 0.5) < 1e-12)
    #expect(abs(layout.fraction(of: 0.5) - (log10(5.0) / 2)) < 1e-12)
    #expect(powerOfTenLabel(-5) == "1e-5")
    #expect(powerOfTenLabel(-2) == "0.01")
    #expect(powerOfTenLabel(3) == "1000")

    let plot = try SVGPlot.lines(
        title: "Dirichlet sweep", xAxis: PlotAxis("Dirichlet alpha", scale: .log10),
        yAxis: PlotAxis("Accuracy", range: 0...1),
        series: [LineSeries("FedAvg", points: [
            PlotPoint(x: 0, y: 0.3),  // not drawable on a log axis: skipped
            PlotPoint(x: 0.1, y: 0.4), PlotPoint(x: 0.5, y: 0.55), PlotPoint(x: 1, y: 0.6), PlotPoint(x: 5, y: 0.7),
        ])])
    let check = XMLCheck(plot.svg())
    #expect(check.isWellFormed)
    #expect(check.count(of: "path") == 1)
    let path = try #require(check.attributes(of: "path").first?["d"])
    #expect(path.filter { $0 == "M" }.count == 1)
    #expect(path.filter { $0 == "L" }.count == 3)
    // The points at 0.1 and 1 sit at the left end and the middle of the plot area.
    let frame = try #require(check.attributes(of: "rect").first { $0["fill"] == "none" })
    let left = try #require(Double(frame["x"] ?? ""))
    let width = try #require(Double(frame["width"] ?? ""))
    #expect(path.hasPrefix("M\(coordinate(left)) "))
    #expect(path.contains("L\(coordinate(left + width / 2)) "))
}

@Test func groupedBarsDrawOneRectPerValueAndSkipNaN() throws {
    let plot = try SVGPlot.groupedBars(
        title: "IID vs non-IID", categoryLabel: "Method",
        categories: ["FedAvg", "FedProx", "FedAdam"], yAxis: PlotAxis("Accuracy"),
        series: [BarSeries("IID", values: [0.78, 0.73, 0.74]), BarSeries("Non-IID", values: [0.775, .nan, 0.735])])
    let check = XMLCheck(plot.svg())
    #expect(check.isWellFormed, "\(check.errorDescription ?? "")")
    let bars = check.attributes(of: "rect").filter { $0["width"] != nil && $0["fill"] == nil }
    #expect(bars.count == 5, "six values, one NaN")
    #expect(check.count(of: "path") == 0)
    #expect(check.text.contains("Non-IID, FedAvg: 0.775"))
    // Bars start at zero: every bar's bottom edge is the same baseline.
    let bottoms = Set(bars.compactMap { attributes -> String? in
        guard let y = Double(attributes["y"] ?? ""), let height = Double(attributes["height"] ?? "") else { return nil }
        return coordinate(y + height)
    })
    #expect(bottoms.count == 1)
    #expect(check.text.contains("0.0"), "the y axis includes zero")
}

@Test func plotTextIsEscaped() throws {
    let plot = try SVGPlot.lines(
        title: "A < B & \"C\"", xAxis: PlotAxis("x <round>"), yAxis: PlotAxis("y & z"),
        series: [LineSeries("Fed<Avg> & 'Prox'", values: [1, 2])])
    let svg = plot.svg()
    let check = XMLCheck(svg)
    #expect(check.isWellFormed, "\(check.errorDescription ?? "")")
    #expect(check.text.contains("A < B & \"C\""))
    #expect(check.text.contains("Fed<Avg> & 'Prox'"))
    #expect(svg.contains("Fed&lt;Avg&gt; &amp; &#39;Prox&#39;"))
    #expect(!check.elementNames.contains("Avg"))
}

@Test func emptyPlotsAreStillValidSVG() throws {
    let noSeries = try SVGPlot.lines(title: "", xAxis: PlotAxis("x"), yAxis: PlotAxis("y"), series: [])
    let check = XMLCheck(noSeries.svg())
    #expect(check.isWellFormed)
    #expect(check.count(of: "path") == 0)
    #expect(check.text.contains("no data"))
    #expect(!check.elementNames.contains("title"), "no title element for an empty title")

    let noBars = try SVGPlot.groupedBars(title: "t", categoryLabel: "c", categories: [], yAxis: PlotAxis("y"), series: [])
    #expect(XMLCheck(noBars.svg()).isWellFormed)
}

@Test func manySeriesCycleColoursAndAddDashes() throws {
    let series = (0..<10).map { LineSeries("s\($0)", values: [Double($0), Double($0) + 1]) }
    let check = XMLCheck(try SVGPlot.lines(title: "t", xAxis: PlotAxis("x"), yAxis: PlotAxis("y"), series: series).svg())
    #expect(check.isWellFormed)
    let paths = check.attributes(of: "path")
    #expect(paths.count == 10)
    #expect(Set(paths.prefix(8).compactMap { $0["stroke"] }).count == 8)
    #expect(paths.prefix(8).allSatisfy { $0["stroke-dasharray"] == nil })
    #expect(paths[8]["stroke"] == paths[0]["stroke"])
    #expect(paths[8]["stroke-dasharray"] != nil)
}

@Test func invalidPlotsThrow() {
    #expect(throws: ReportError.self) {
        try SVGPlot.groupedBars(title: "t", categoryLabel: "c", categories: ["a", "b"], yAxis: PlotAxis("y"),
                                series: [BarSeries("IID", values: [1])])
    }
    #expect(throws: ReportError.self) {
        try SVGPlot.groupedBars(title: "t", categoryLabel: "c", categories: [], yAxis: PlotAxis("y", scale: .log10), series: [])
    }
    #expect(throws: ReportError.self) {
        try SVGPlot.lines(title: "t", xAxis: PlotAxis("x", scale: .log10, range: 0...1), yAxis: PlotAxis("y"), series: [])
    }
    #expect(throws: ReportError.self) {
        try SVGPlot.lines(title: "t", xAxis: PlotAxis("x"), yAxis: PlotAxis("y", range: 1...1), series: [])
    }
    #expect(throws: ReportError.self) {
        try SVGPlot.lines(title: "t", xAxis: PlotAxis("x"), yAxis: PlotAxis("y"), series: [], width: 50)
    }
}

@Test func svgIsDeterministic() throws {
    #expect(try roundsPlot().svg() == roundsPlot().svg())
    let changed = try SVGPlot.lines(title: "Accuracy per round", xAxis: PlotAxis("Round"), yAxis: PlotAxis("Accuracy"),
                                    series: [LineSeries("FedAvg", values: [0.30, 0.50, 0.61])])
    #expect(try changed.svg() != roundsPlot().svg())
}

@Test func longLegendNamesFitTheSmallestPlot() throws {
    let name = String(repeating: "very long series name ", count: 10)
    let plot = try SVGPlot.lines(title: "t", xAxis: PlotAxis("x"), yAxis: PlotAxis("y"),
                                 series: [LineSeries(name, values: [1, 2, 3])], width: 200, height: 150)
    let check = XMLCheck(plot.svg())
    #expect(check.isWellFormed)
    let frame = try #require(check.attributes(of: "rect").first { $0["fill"] == "none" })
    #expect(try #require(Double(frame["width"] ?? "")) > 40, "the plot area keeps a usable width")
}
