/**
 * The `metrics` option: a Prometheus scrape endpoint whose body is whatever a `PrometheusExporter`
 * (`@opentelemetry/exporter-prometheus`) writes, so every instrument registered through
 * `@opentelemetry/api` appears there and this package keeps no text format of its own. The
 * exporter and `@opentelemetry/sdk-metrics` are optional peer dependencies, loaded with `import()`
 * only when the option is on and no exporter is given.
 */
import type { HttpExchange, ResponseHeaders } from './exchange.js';
import type { MetricsResponse, PrometheusMetricsExporter } from './options.js';

/** What the endpoint adds to the exporter's own headers: a scrape reads the present. */
const scrapeHeaders: ResponseHeaders = { 'cache-control': 'no-store' };

/**
 * A new exporter (`preventServerStart: true`: this transport serves it) read by a new
 * `MeterProvider` registered as the global one. Rejects with an explanation when the packages are
 * not installed; reports (without failing) a global provider registered already, whose
 * instruments this exporter then does not see.
 */
async function createGlobalExporter(report: (error: unknown) => void): Promise<PrometheusMetricsExporter> {
  let modules: [
    typeof import('@opentelemetry/exporter-prometheus'),
    typeof import('@opentelemetry/sdk-metrics'),
  ];
  try {
    modules = await Promise.all([
      import('@opentelemetry/exporter-prometheus'),
      import('@opentelemetry/sdk-metrics'),
    ]);
  } catch (error) {
    throw new Error(
      'The `metrics` option needs @opentelemetry/exporter-prometheus and @opentelemetry/sdk-metrics: install them, or turn `metrics` off',
      { cause: error },
    );
  }
  const [{ PrometheusExporter }, { MeterProvider }] = modules;
  const { metrics } = await import('@opentelemetry/api');
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [exporter] });
  if (!metrics.setGlobalMeterProvider(provider)) {
    report(
      new Error(
        'The `metrics` option found a global MeterProvider registered already, whose instruments its own exporter does not see: pass your PrometheusExporter as `metrics.exporter`',
      ),
    );
  }
  return exporter;
}

/** Serves the scrape endpoint. @internal */
export class PrometheusEndpoint {
  private exporter: Promise<PrometheusMetricsExporter> | undefined;

  constructor(given: PrometheusMetricsExporter | undefined, report: (error: unknown) => void) {
    // Created now rather than on the first scrape: instruments made after this see the provider.
    this.exporter = given === undefined ? undefined : Promise.resolve(given);
    if (given === undefined) {
      this.exporter = createGlobalExporter(report);
      // Reported here once; each scrape then answers 500.
      this.exporter.catch(report);
    }
  }

  /** Answers one scrape with the exporter's text, or 500 when the exporter could not be made. */
  async scrape(exchange: HttpExchange): Promise<void> {
    let exporter: PrometheusMetricsExporter;
    try {
      exporter = await (this.exporter as Promise<PrometheusMetricsExporter>);
    } catch (error) {
      exchange.respond(
        500,
        { 'content-type': 'text/plain; charset=utf-8', ...scrapeHeaders },
        `${error instanceof Error ? error.message : String(error)}\n`,
      );
      return;
    }
    await new Promise<void>((resolve) => {
      const headers: Record<string, string | string[]> = { ...scrapeHeaders };
      const response: MetricsResponse = {
        statusCode: 200,
        setHeader(name, value) {
          headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
          return response;
        },
        end(body) {
          exchange.respond(response.statusCode, headers, body ?? '');
          resolve();
          return response;
        },
      };
      // The exporter's documented handler for a server of one's own (`preventServerStart`): it
      // sets the status and `Content-Type`, collects, and ends with the text (or a `#` comment
      // naming a collection failure).
      exporter.getMetricsRequestHandler(undefined, response);
    });
  }
}
