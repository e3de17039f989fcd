'use strict';

const dns = require('node:dns/promises');
const net = require('node:net');

const { badUpstreamResponse, upstreamUnavailable } = require('./errors');
const { colorizeQueryParameters } = require('./openapi');
const { redactText } = require('./redact');
const { Upstream, newAgent, readBody } = require('./upstream');

const HEALTH_TIMEOUT_MS = 5000;
// The order in which replicas are preferred: a READY one, then one not checked yet.
const PREFERENCE = { READY: 0, UNKNOWN: 1 };
const rank = (replica) => PREFERENCE[replica.status] ?? 2;

/** One inference replica: how to reach it and what the gateway last learnt about it. */
class Replica {
  constructor(url, { timeoutMs, hostHeader = null, agent }) {
    this.url = url;
    this.upstream = new Upstream({ baseUrl: url, timeoutMs, hostHeader, agent });
    this.status = 'UNKNOWN'; // UNKNOWN until checked, then the service's status or UNREACHABLE
    this.detail = null;
    this.checkedAt = null;
    // The service's request limits (its /v1/health `limits`), kept from the last answer that had them.
    this.limits = null;
    // The query parameters of its POST /v1/colorize, read from its /openapi.json (null until asked).
    this.colorizeParameters = null;
    this.inFlight = 0;
    this.requests = 0;
  }

  report() {
    return {
      // Shown by the open /api/health: never a password in GATEWAY_INFERENCE_URL.
      url: redactText(this.url),
      status: this.status,
      in_flight: this.inFlight,
      requests: this.requests,
      checked_at: this.checkedAt && new Date(this.checkedAt).toISOString(),
      detail: this.detail,
    };
  }

  close() {
    this.upstream.close();
  }
}

/** "http://inference:8000" + an address of that name -> "http://10.0.0.5:8000" (IPv6 in brackets). */
function urlWithAddress(url, address) {
  const resolved = new URL(url);
  resolved.hostname = net.isIPv6(address) ? `[${address}]` : address;
  return resolved.toString().replace(/\/+$/, '');
}

async function systemLookup(hostname) {
  return (await dns.lookup(hostname, { all: true })).map((entry) => entry.address);
}

/**
 * The inference replicas the gateway spreads its requests over.
 *
 * Replicas come from GATEWAY_INFERENCE_URL: a list of URLs, each one replica; or, with
 * discovery "dns", every address a URL's host name resolves to (Docker's or
 * Kubernetes' service name for several containers), looked up again at each
 * health round so replicas that come and go are followed. Every replica's
 * /v1/health is checked every `healthIntervalMs`; requests go to the least busy
 * READY replica, and a replica that refuses a connection is marked UNREACHABLE at
 * once, until a health check finds it again.
 */
class InferencePool {
  constructor({
    urls,
    discovery = 'static',
    timeoutMs,
    healthIntervalMs = 5000,
    lookup = systemLookup,
    logger = null,
  }) {
    this.urls = urls;
    this.discovery = discovery;
    this.timeoutMs = timeoutMs;
    this.healthIntervalMs = healthIntervalMs;
    this.lookup = lookup;
    this.logger = logger;
    this.replicas = new Map(); // url -> Replica
    // The configuration allows one protocol for all replicas, so one agent serves them all.
    this.agent = newAgent(new URL(urls[0]).protocol);
    this.turn = 0;
    this.timer = null;
    this.refreshing = null;
  }

  /** Find the replicas and start the periodic health checks (the first runs in the background). */
  async open() {
    await this.discover();
    if (this.healthIntervalMs > 0) {
      this.refresh().catch(() => {});
      this.timer = setInterval(() => this.refresh().catch(() => {}), this.healthIntervalMs);
      this.timer.unref();
    }
    return this;
  }

  close() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const replica of this.replicas.values()) replica.close();
    this.agent.destroy();
  }

  /** (Re)build the replica list; with DNS discovery a failed lookup keeps the replicas known so far. */
  async discover() {
    const wanted = new Map(); // url -> Host header to send (the name, when the URL holds an address)
    for (const url of this.urls) {
      if (this.discovery !== 'dns' || net.isIP(new URL(url).hostname.replace(/^\[|\]$/g, ''))) {
        wanted.set(url, null);
        continue;
      }
      const { hostname, host } = new URL(url);
      try {
        for (const address of await this.lookup(hostname)) wanted.set(urlWithAddress(url, address), host);
      } catch (err) {
        this.logger?.warn(
          { hostname, err: { code: err.code, message: err.message } },
          'inference replicas could not be looked up',
        );
        for (const [known, replica] of this.replicas) {
          if (replica.upstream.hostHeader === host) wanted.set(known, host);
        }
      }
    }
    for (const [url, replica] of this.replicas) {
      if (!wanted.has(url)) {
        this.replicas.delete(url);
        replica.close();
        this.logger?.info({ url }, 'inference replica gone from DNS');
      }
    }
    for (const [url, hostHeader] of wanted) {
      if (!this.replicas.has(url))
        this.replicas.set(url, new Replica(url, { timeoutMs: this.timeoutMs, hostHeader, agent: this.agent }));
    }
  }

  /** Look the replicas up again (DNS) and check each one's health; concurrent calls share one round. */
  refresh() {
    if (!this.refreshing) {
      this.refreshing = (async () => {
        if (this.discovery === 'dns') await this.discover();
        await Promise.all([...this.replicas.values()].map((replica) => this.check(replica)));
      })().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  async check(replica) {
    const before = replica.status;
    try {
      const response = await replica.upstream.request({
        pathname: '/v1/health',
        headers: { accept: 'application/json' },
        // Not GATEWAY_UPSTREAM_TIMEOUT_MS (which is about colorizing): health answers never wait for the model.
        timeoutMs: HEALTH_TIMEOUT_MS,
      });
      const body = JSON.parse((await readBody(response)).toString('utf8'));
      replica.status = typeof body.status === 'string' ? body.status : 'UNKNOWN';
      replica.detail = body;
      if (Number.isInteger(body.limits?.max_upload_bytes)) replica.limits = body.limits;
    } catch (err) {
      replica.status = 'UNREACHABLE';
      replica.detail = { error: err.code === 'UPSTREAM_TIMEOUT' ? 'timed out' : 'connection failed' };
    }
    replica.checkedAt = Date.now();
    if (replica.status !== before) {
      replica.colorizeParameters = null; // restarted, perhaps as another version: ask again
      this.logger?.info({ url: replica.url, from: before, to: replica.status }, 'inference replica status');
    }
  }

  /**
   * The names of the query parameters this replica's POST /v1/colorize takes, from its
   * OpenAPI document (fetched once, again after its status changed): the gateway keeps
   * no list of its own, so a parameter the service adds is forwarded without a gateway
   * change. A replica that cannot be reached rejects as for any request (another may be
   * tried); one whose document lists none is a bad_upstream_response.
   */
  async colorizeParametersOf(replica) {
    if (replica.colorizeParameters) return replica.colorizeParameters;
    const response = await replica.upstream.request({
      pathname: '/openapi.json',
      headers: { accept: 'application/json' },
      timeoutMs: HEALTH_TIMEOUT_MS,
    });
    const body = await readBody(response);
    let names = null;
    try {
      names = response.statusCode === 200 ? colorizeQueryParameters(JSON.parse(body.toString('utf8'))) : null;
    } catch {
      names = null; // not JSON
    }
    if (!names?.length) throw badUpstreamResponse('its OpenAPI document lists no colorize parameters');
    replica.colorizeParameters = names;
    return names;
  }

  /** The smallest upload limit the replicas published (null while none has answered). */
  knownUploadLimitBytes() {
    const limits = [...this.replicas.values()]
      .map((replica) => replica.limits?.max_upload_bytes)
      .filter((limit) => Number.isInteger(limit));
    return limits.length ? Math.min(...limits) : null;
  }

  /**
   * The largest image the gateway accepts: the inference service's own limit
   * (COLORIZER_MAX_UPLOAD_BYTES, published on its /v1/health), the smallest one when
   * replicas differ, so the gateway never buffers an upload every replica would
   * refuse and the limit is set in one place. Asks the replicas when none has
   * answered yet; rejects with 502 upstream_unavailable when none does.
   */
  async uploadLimitBytes() {
    if (this.knownUploadLimitBytes() === null) {
      await this.ensureReplicas();
      await this.refresh();
    }
    const limit = this.knownUploadLimitBytes();
    if (limit !== null) return limit;
    // A replica answered without `limits`: a service older than this gateway.
    const answered = [...this.replicas.values()].some(
      (replica) => replica.checkedAt && replica.status !== 'UNREACHABLE',
    );
    throw answered ? badUpstreamResponse('it publishes no upload limit (an older version?)') : upstreamUnavailable();
  }

  /** The smallest video upload limit the replicas published (`limits.video`; null while none has). */
  async videoUploadLimitBytes() {
    const known = () => {
      const limits = [...this.replicas.values()]
        .map((replica) => replica.limits?.video?.max_upload_bytes)
        .filter((limit) => Number.isInteger(limit));
      return limits.length ? Math.min(...limits) : null;
    };
    if (known() === null) {
      await this.ensureReplicas();
      await this.refresh();
    }
    return known();
  }

  /** With DNS discovery and no replica known yet (the name did not resolve at start), look again now. */
  async ensureReplicas() {
    if (!this.replicas.size && this.discovery === 'dns') await this.refresh();
  }

  /** A request to this replica could not connect: route around it until a health check finds it again. */
  markUnreachable(replica) {
    if (replica.status !== 'UNREACHABLE') this.logger?.warn({ url: replica.url }, 'inference replica unreachable');
    replica.status = 'UNREACHABLE';
    replica.detail = { error: 'connection failed' };
    replica.checkedAt = Date.now();
  }

  /**
   * The replica for the next request, not one of `tried`: READY ones first, then
   * unchecked ones, then any other (the request itself then finds out whether it is
   * back); among equals the least busy, taking turns. null when all were tried.
   */
  pick(tried = new Set()) {
    const candidates = [...this.replicas.values()].filter((replica) => !tried.has(replica));
    if (!candidates.length) return null;
    const best = Math.min(...candidates.map(rank));
    const ranked = candidates.filter((replica) => rank(replica) === best);
    const fewest = Math.min(...ranked.map((replica) => replica.inFlight));
    const idle = ranked.filter((replica) => replica.inFlight === fewest);
    this.turn = (this.turn + 1) % 1_000_000;
    return idle[this.turn % idle.length];
  }

  /** Count a request against a replica while it runs; call the returned function once when it ends. */
  track(replica) {
    replica.inFlight += 1;
    replica.requests += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      replica.inFlight -= 1;
    };
  }

  /** What /api/health says about inference: READY when any replica is, and each replica's own state. */
  report() {
    const replicas = [...this.replicas.values()];
    const ready = replicas.find((replica) => replica.status === 'READY');
    const lead = ready || replicas[0];
    return {
      status: lead ? lead.status : 'UNREACHABLE',
      detail: lead ? lead.detail : { error: 'no inference replica found' },
      ready_replicas: replicas.filter((replica) => replica.status === 'READY').length,
      replicas: replicas.map((replica) => replica.report()),
    };
  }
}

module.exports = { InferencePool, Replica, urlWithAddress };
