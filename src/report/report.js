"use strict";
/* tcpscope report: draws the charts from the JSON above, as plain SVG. */
(function () {
const D = JSON.parse(document.getElementById("tcpscope-data").textContent);
const S = JSON.parse(document.getElementById("tcpscope-summary").textContent);
const NS = "http://www.w3.org/2000/svg";
const KINDS = ["fast", "rto", "syn", "failed", "other", "tlp"];
const KC = { fast: "#0969da", rto: "#cf222e", syn: "#8250df", failed: "#24292f", other: "#bf8700", tlp: "#1a7f37" };
const PAL = ["#0969da", "#1a7f37", "#cf222e", "#8250df", "#bf8700", "#57606a", "#e16f24", "#116329", "#a40e26"];

function el(tag, attrs, parent) {
	const e = document.createElementNS(NS, tag);
	for (const k in attrs) e.setAttribute(k, attrs[k]);
	if (parent) parent.appendChild(e);
	return e;
}
function text(parent, x, y, s, attrs) {
	const t = el("text", Object.assign({ x: x, y: y }, attrs || {}), parent);
	t.textContent = s;
	return t;
}
function h(tag, parent, s, attrs) {
	const e = document.createElement(tag);
	if (s !== undefined && s !== null) e.textContent = s;
	for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
	if (parent) parent.appendChild(e);
	return e;
}
function fmt(v) {
	const a = Math.abs(v);
	if (a >= 1e9) return +(v / 1e9).toPrecision(3) + "G";
	if (a >= 1e6) return +(v / 1e6).toPrecision(3) + "M";
	if (a >= 1e4) return +(v / 1e3).toPrecision(3) + "k";
	return String(+v.toPrecision(4));
}
function dur(ns) {
	if (ns < 1e3) return Math.round(ns) + " ns";
	if (ns < 1e6) return +(ns / 1e3).toPrecision(3) + " us";
	if (ns < 1e9) return +(ns / 1e6).toPrecision(3) + " ms";
	return +(ns / 1e9).toPrecision(4) + " s";
}
function ticks(lo, hi, n) {
	if (!(hi > lo)) hi = lo + 1;
	const raw = (hi - lo) / n, p = Math.pow(10, Math.floor(Math.log10(raw))), m = raw / p;
	const step = (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p, out = [];
	for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
	return out;
}

/* A plot area with axes; x and y map data to pixels. */
function frame(svg, box, xlo, xhi, ylo, yhi, opt) {
	opt = opt || {};
	const x = v => box.x + (v - xlo) / ((xhi - xlo) || 1) * box.w;
	const y = v => box.y + box.h - (v - ylo) / ((yhi - ylo) || 1) * box.h;
	if (!opt.noYTicks) for (const t of ticks(ylo, yhi, 4)) {
		el("line", { x1: box.x, x2: box.x + box.w, y1: y(t), y2: y(t), class: "grid" }, svg);
		text(svg, box.x - 4, y(t) + 4, fmt(t), { "text-anchor": "end" });
	}
	if (!opt.noXTicks) for (const t of ticks(xlo, xhi, 8)) {
		el("line", { x1: x(t), x2: x(t), y1: box.y + box.h, y2: box.y + box.h + 4, class: "axis" }, svg);
		text(svg, x(t), box.y + box.h + 15, fmt(t), { "text-anchor": "middle" });
	}
	el("line", { x1: box.x, x2: box.x + box.w, y1: box.y + box.h, y2: box.y + box.h, class: "axis" }, svg);
	el("line", { x1: box.x, x2: box.x, y1: box.y, y2: box.y + box.h, class: "axis" }, svg);
	if (opt.ylabel) text(svg, box.x, box.y - 6, opt.ylabel);
	if (opt.xlabel) text(svg, box.x + box.w, box.y + box.h + 28, opt.xlabel, { "text-anchor": "end" });
	return { x: x, y: y };
}
function chartHost(id, title, note) {
	const host = document.getElementById(id) || h("div", document.getElementById("conns"), null, { class: "chart", id: id });
	h("div", host, title, { class: "title" });
	if (note) h("div", host, note, { class: "dec" });
	return host;
}
function legend(svg, x, y, items) {
	for (const it of items) {
		el("rect", { x: x, y: y - 9, width: 10, height: 10, fill: it.color }, svg);
		const t = text(svg, x + 14, y, it.name);
		x += 24 + 7 * it.name.length;
		void t;
	}
}

/* A distribution on log-spaced bins: [low_ns, high_ns, count]. */
function distChart(id, title, d) {
	const host = chartHost(id, title + ": n " + d.n + (d.n ? ", p50 " + dur(d.p50_ns) + ", p90 " + dur(d.p90_ns) +
		", p99 " + dur(d.p99_ns) + ", max " + dur(d.max_ns) : ""));
	host.dataset.n = d.n;
	host.dataset.p50Ns = d.p50_ns;
	if (!d.n) { h("p", host, "no samples", { class: "note" }); return; }
	const W = 1100, H = 200, svg = el("svg", { viewBox: "0 0 " + W + " " + H, role: "img" }, host);
	const box = { x: 60, y: 20, w: W - 80, h: H - 60 };
	const top = Math.max.apply(null, d.bins.map(b => b[2]));
	const f = frame(svg, box, 0, d.bins.length, 0, top, { ylabel: "connections", noXTicks: true });
	let total = 0;
	d.bins.forEach((b, i) => {
		total += b[2];
		const r = el("rect", { x: f.x(i) + 1, y: f.y(b[2]), width: Math.max(1, f.x(i + 1) - f.x(i) - 2),
			height: f.y(0) - f.y(b[2]), fill: "#0969da" }, svg);
		h("title", r, dur(b[0]) + " .. " + dur(b[1]) + ": " + b[2]);
		if (i % 4 === 0) text(svg, f.x(i), box.y + box.h + 15, dur(b[0]), { "text-anchor": "start" });
	});
	svg.dataset.total = total;
}

/* Counts per time bucket: stacked bars (kind "bars") or lines. */
function timeChart(id, title, series, mode, ylabel) {
	const B = D.series.bucket_us, n = (series[0] || { vals: [] }).vals.length;
	const host = chartHost(id, title + " (per " + dur(B * 1e3) + ")");
	const W = 1100, H = 230, svg = el("svg", { viewBox: "0 0 " + W + " " + H, role: "img" }, host);
	const box = { x: 60, y: 24, w: W - 80, h: H - 70 };
	let top = 1;
	for (let i = 0; i < n; i++) {
		if (mode === "bars") top = Math.max(top, series.reduce((a, s) => a + s.vals[i], 0));
		else for (const s of series) top = Math.max(top, s.vals[i]);
	}
	const f = frame(svg, box, 0, n * B / 1e6, 0, top, { ylabel: ylabel, xlabel: "seconds" });
	const totals = {};
	for (const s of series) totals[s.name] = 0;
	if (mode === "bars") {
		for (let i = 0; i < n; i++) {
			let acc = 0;
			for (const s of series) {
				const v = s.vals[i];
				totals[s.name] += v;
				if (!v) continue;
				const r = el("rect", { x: f.x(i * B / 1e6), y: f.y(acc + v), width: Math.max(1, f.x((i + 1) * B / 1e6) - f.x(i * B / 1e6) - 0.5),
					height: f.y(acc) - f.y(acc + v), fill: s.color }, svg);
				h("title", r, s.name + " " + v + " at " + fmt(i * B / 1e6) + " s");
				acc += v;
			}
		}
	} else {
		for (const s of series) {
			let d = "";
			s.vals.forEach((v, i) => { totals[s.name] += v; d += (i ? "L" : "M") + f.x((i + 0.5) * B / 1e6).toFixed(1) + " " + f.y(v).toFixed(1); });
			el("path", { d: d, fill: "none", stroke: s.color, "stroke-width": 1.6 }, svg);
		}
	}
	legend(svg, box.x + 4, H - 8, series.map(s => ({ name: s.name + " (" + totals[s.name] + ")", color: s.color })));
	for (const s of series) svg.setAttribute("data-total-" + s.name.replace(/[^a-zA-Z0-9]/g, "_").toLowerCase(), totals[s.name]);
	svg.dataset.total = Object.values(totals).reduce((a, b) => a + b, 0);
	return svg;
}

function statesTable(host, id, rows, attr) {
	const tb = h("table", host, null, { id: id });
	const hr = h("tr", tb);
	for (const c of ["state", "visits", "total", "mean", "p50", "p99", "max", ""]) h("th", hr, c);
	const top = Math.max.apply(null, rows.map(s => s.total_us));
	for (const s of rows) {
		const tr = h("tr", tb, null, { [attr]: s.state, "data-n": s.n });
		h("td", tr, s.state);
		h("td", tr, String(s.n));
		for (const v of [s.total_us, s.mean_us, s.p50_us, s.p99_us, s.max_us]) h("td", tr, dur(v * 1e3));
		const td = h("td", tr), svg = el("svg", { width: 300, height: 12 }, td);
		el("rect", { x: 0, y: 1, height: 10, width: Math.max(1, 300 * s.total_us / top), fill: "#0969da" }, svg);
	}
}

function statesChart() {
	const host = chartHost("chart-states", "time spent in each state (kernel state events; per visit)");
	if (!D.states.length) h("p", host, "no state events", { class: "note" });
	else statesTable(host, "states-table", D.states, "data-state");
	h("h3", host, "time in each congestion state (tcp_cong_state_set events; per interval)");
	if (!D.cong_states.length) h("p", host, "no congestion state events", { class: "note" });
	else statesTable(host, "cong-states-table", D.cong_states, "data-cong-state");
}

function checkSection() {
	const host = document.getElementById("check"), c = D.check;
	const p = h("p", host, null, { id: "check-timeline", "data-checked": c.connections, "data-agreed": c.agreed,
		"data-mismatched": c.mismatched, "data-unverified": c.unverified, "data-drift": c.segment_count_drift });
	p.appendChild(document.createTextNode("Recomputed from this timeline, by the rule stress --trace uses: per client " +
		"connection, the segments of successful retransmit events up to its last TCP_INFO poll equal that poll's total_retrans on "));
	h("span", p, c.agreed + " of " + c.connections, { class: c.mismatched ? "bad" : "ok" });
	p.appendChild(document.createTextNode(" connections; " + c.segment_count_drift + " with every retransmit seen but more segments " +
		"counted by the kernel, " + c.mismatched + " mismatched, " + c.unverified +
		" unverified (no TCP_INFO, or retransmit events lost)."));
	const a = S && S.trace && S.trace.agreement;
	if (a) {
		const q = h("p", host, null, { id: "check-run", "data-checked": a.connections, "data-agreed": a.agreed,
			"data-mismatched": a.mismatched, "data-unverified": a.unverified, "data-drift": a.segment_count_drift });
		q.appendChild(document.createTextNode("The run's own correlator said: "));
		h("span", q, a.agreed + " of " + a.connections, { class: a.mismatched ? "bad" : "ok" });
		q.appendChild(document.createTextNode(" agreed; " + a.segment_count_drift + " drift, " + a.mismatched + " mismatched, " + a.unverified +
			" unverified; lost events " + S.trace.lost + "."));
	}
}

function params() {
	const host = document.getElementById("params");
	if (!S) { h("p", host, "This timeline has no run summary line (written by stress --trace --report, or a later --timeline).", { class: "note" }); return; }
	if (S.command) h("p", host, S.command, { class: "src", id: "command" });
	const tb = h("table", host, null, { id: "params-table" });
	const row = (k, v) => { const tr = h("tr", tb, null, { "data-key": k }); h("td", tr, k); h("td", tr, String(v)); };
	row("mode", S.mode);
	row("target", S.target + (S.builtin_server ? " (built-in server, " + S.server.mode + ")" : ""));
	row("processes x threads", S.procs + " x " + S.threads);
	row("rate", (S.rate.target === null ? "max" : S.rate.target + "/s") + " target, " + S.rate.achieved + "/s achieved");
	row("duration", S.duration_s + " s" + (S.interrupted ? " (interrupted)" : ""));
	const c = S.connections;
	row("connections", "attempted " + c.attempted + ", established " + c.established + ", failed " + c.failed + ", closed " + c.closed + ", peer closed " + c.peer_closed);
	row("errors", Object.keys(S.errors || {}).length ? Object.entries(S.errors).map(e => e[0] + " " + e[1]).join(", ") : "none");
	const l = S.connect_latency_us;
	row("connect latency (us)", "n " + l.count + ", p50 " + l.p50 + ", p90 " + l.p90 + ", p99 " + l.p99 + ", max " + l.max);
	row("bytes", "sent " + S.bytes.sent + ", received " + S.bytes.received + ", transactions " + S.transactions);
	row("TCP_INFO", "total_retrans " + S.tcp_info.total_retrans + " on " + S.tcp_info.conns_with_retrans + " connections");
	if (S.trace) row("kernel", S.trace.attach + " programs; events lost " + S.trace.lost + "; retransmitted segments " + S.trace.retransmit_segs);
	tb.dataset.attempted = c.attempted;
	tb.dataset.established = c.established;
}

/* Congestion states other than Open, as bands behind the curves. */
const CAC = { Disorder: "#fff1a8", CWR: "#b6e3ff", Recovery: "#ffc680", Loss: "#ff9a94" };

/* The congestion intervals of a connection: each change starts one in the
 * new state, until the next change or the chart's end. */
function congIntervals(c, tEnd) {
	const v = [];
	(c.cong || []).forEach((s, i, a) => {
		if (CAC[s[2]]) v.push({ state: s[2], t0: s[0], t1: i + 1 < a.length ? a[i + 1][0] : tEnd });
	});
	return v;
}

/* One connection: srtt, cwnd and ssthresh, bytes in flight, one panel each,
 * with the retransmits, drops and state changes marked across all three and
 * its congestion states as bands behind them. */
function connChart(c, idx) {
	const id = "conn-" + c.cookie;
	const dec = Object.values(c.series).filter(s => s.decimated);
	const host = chartHost(id, "cookie " + c.cookie + "  " + c.label + (c.owner ? "  " + c.owner : "") + "  [" + c.why.join(", ") + "]  retransmitted segs " +
		c.retrans_segs + (c.connect_ns ? ", connect " + dur(c.connect_ns) : "") + (c.resets ? ", resets " + c.resets : ""),
		dec.length ? "decimated: " + dec.map(s => s.samples).reduce((a, b) => Math.max(a, b), 0) + " samples per curve shown as at most " + D.max_points + " points (min and max per time bucket)" : (c.rtx_cut ? "retransmit marks cut at 4000" : null));
	host.classList.add("conn");
	host.dataset.cookie = c.cookie;
	host.dataset.rtx = c.rtx.length;
	host.dataset.states = c.states.length;
	host.dataset.probes = c.probes;
	host.dataset.drops = (c.drops || []).length;
	host.dataset.cong = (c.cong || []).length;
	const all = [];
	for (const d of c.drops || []) all.push(d[0]);
	for (const s of c.cong || []) all.push(s[0]);
	for (const k in c.series) for (const p of c.series[k].points) all.push(p[0]);
	for (const r of c.rtx) all.push(r[0]);
	for (const s of c.states) all.push(s[0]);
	if (!all.length) { h("p", host, "no kernel events for this connection", { class: "note" }); return; }
	if (!c.probes) h("p", host, "no probe samples: the connection was shorter than --probe-interval, or received no ACK while established; only its marks are drawn", { class: "note" });
	const t0 = Math.min.apply(null, all), t1 = Math.max.apply(null, all);
	const ms = v => (v - t0) / 1000;
	const W = 1100, PH = 110, G = 34, H = 28 + 3 * (PH + G) + 30;
	const svg = el("svg", { viewBox: "0 0 " + W + " " + H, role: "img" }, host);
	const panels = [
		{ label: "srtt (ms)", series: [["srtt_us", "#0969da", v => v / 1000]] },
		{ label: "cwnd, ssthresh (segments)", series: [["cwnd", "#1a7f37", v => v], ["ssthresh", "#8c959f", v => v]] },
		{ label: "bytes in flight", series: [["inflight", "#8250df", v => v]] },
	];
	panels.forEach((p, i) => {
		const box = { x: 70, y: 28 + i * (PH + G), w: W - 90, h: PH };
		let top = 1;
		for (const s of p.series) for (const q of c.series[s[0]].points) top = Math.max(top, s[2](q[1]));
		const f = frame(svg, box, 0, Math.max(ms(t1), 0.001), 0, top * 1.05, { ylabel: p.label, xlabel: i === 2 ? "ms since first event" : "" });
		for (const iv of congIntervals(c, t1)) {
			const x0 = f.x(ms(iv.t0)), x1 = f.x(ms(iv.t1));
			const b = el("rect", { x: x0, y: box.y, width: Math.max(1, x1 - x0), height: box.h, fill: CAC[iv.state],
				"fill-opacity": 0.55, class: "cong-band", "data-state": iv.state }, svg);
			h("title", b, iv.state + " from " + fmt(ms(iv.t0)) + " ms for " + fmt((iv.t1 - iv.t0) / 1000) + " ms");
		}
		for (const st of c.states) {
			const x = f.x(ms(st[0]));
			const ln = el("line", { x1: x, x2: x, y1: box.y, y2: box.y + box.h, stroke: "#6e7781", "stroke-dasharray": "3 3", class: "state-mark" }, svg);
			h("title", ln, st[1] + " -> " + st[2] + " at " + fmt(ms(st[0])) + " ms");
			if (i === 0) text(svg, x + 2, box.y + 10 + (c.states.indexOf(st) % 3) * 10, st[2], { "font-size": 9 });
		}
		for (const s of p.series) {
			const pts = c.series[s[0]].points;
			if (!pts.length) continue;
			let d = "";
			pts.forEach((q, j) => { d += (j ? "L" : "M") + f.x(ms(q[0])).toFixed(1) + " " + f.y(s[2](q[1])).toFixed(1); });
			el("path", { d: d, fill: "none", stroke: s[1], "stroke-width": 1.4, class: "curve", "data-series": s[0], "data-points": pts.length }, svg);
		}
		for (const r of c.rtx) {
			const x = f.x(ms(r[0]));
			const m = el("path", { d: "M" + x.toFixed(1) + " " + (box.y + box.h) + "l-4 7h8z", fill: KC[r[1]] || "#000", class: "rtx-mark", "data-kind": r[1] }, svg);
			h("title", m, r[1] + " retransmit, " + r[2] + " segs, at " + fmt(ms(r[0])) + " ms");
			el("line", { x1: x, x2: x, y1: box.y, y2: box.y + box.h, stroke: KC[r[1]] || "#000", "stroke-opacity": 0.35 }, svg);
		}
		for (const d of c.drops || []) {
			const x = f.x(ms(d[0])), y = box.y - 1;
			const m = el("path", { d: "M" + (x - 4).toFixed(1) + " " + (y - 8) + "l8 8m0 -8l-8 8", stroke: "#cf222e",
				"stroke-width": 2, fill: "none", class: "drop-mark", "data-reason": d[1] }, svg);
			h("title", m, "dropped by this host: " + (d[1] || "?") + ", at " + fmt(ms(d[0])) + " ms");
		}
	});
	legend(svg, 70, H - 20, [{ name: "srtt", color: "#0969da" }, { name: "cwnd", color: "#1a7f37" }, { name: "ssthresh", color: "#8c959f" },
		{ name: "inflight", color: "#8250df" }].concat(KINDS.map(k => ({ name: "retransmit " + k, color: KC[k] }))));
	legend(svg, 70, H - 4, [{ name: "dropped here", color: "#cf222e" }].concat(Object.keys(CAC).map(k => ({ name: k, color: CAC[k] }))));
	void idx;
}

params();
distChart("chart-connect", "connect latency (user side)", D.connect);
distChart("chart-handshake", "handshake latency (kernel side)", D.handshake);
const s = D.series, errs = Object.keys(s.errors);
timeChart("chart-rate", "connection rate and errors", [{ name: "connect", color: PAL[0], vals: s.connects },
	{ name: "established", color: PAL[1], vals: s.established }, { name: "resets", color: PAL[4], vals: s.resets }]
	.concat(errs.map((e, i) => ({ name: e, color: PAL[(i + 2) % PAL.length], vals: s.errors[e] }))), "lines", "per bucket");
timeChart("chart-retrans", "retransmits by kind", KINDS.map(k => ({ name: k, color: KC[k], vals: s.retransmits[k] })), "bars", "events");
statesChart();
checkSection();
D.conns.forEach(connChart);
if (!D.conns.length) h("p", document.getElementById("conns"), "no connection stood out (no retransmits, resets or connects)", { class: "note" });
document.body.dataset.rendered = "1";
})();
