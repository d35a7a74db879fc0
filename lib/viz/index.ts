/** Charts: Vega-Lite specs shown as one multi-mime output in notebooks. */
export { chartBundle, chartTitle, describeChart, saveChart, show, VEGA_LITE_MIME } from "./show";
export { CHART_FONT, chartFontFiles, renderSvg, svgToPng, withChartDefaults } from "./render";
export type { PngImage, TopLevelSpec } from "./render";
export { barChart, heatmapChart, inferFieldType, lineChart, scatterChart } from "./charts";
export type { BarChartOptions, FieldType, HeatmapOptions, LineChartOptions, ScatterChartOptions } from "./charts";
