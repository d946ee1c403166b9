/**
 * A partner app's session, written only against the types openapi-typescript generates
 * from openapi.yaml, with openapi-fetch: no casts, no `any`, no hand-written request.
 *
 * tests/test_clients.py generates generated/schema.ts, compiles this file with
 * `tsc --strict` and runs it against a live server holding the test world
 * (tests/conftest.py). Usage: node generated/dist/typescript_session.js BASE_URL TOKEN
 */
import assert from "node:assert/strict";
import createClient from "openapi-fetch";
import type { paths } from "./generated/schema.js";

const [baseUrl, token] = process.argv.slice(2);
assert.ok(baseUrl && token, "usage: typescript_session.js BASE_URL TOKEN");

const api = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });

async function brandSlugs(query: paths["/api/v1/brands/"]["get"]["parameters"]["query"]) {
  const { data } = await api.GET("/api/v1/brands/", { params: { query } });
  assert.ok(data);
  return data.results.map((brand) => brand.slug);
}

async function session(): Promise<void> {
  // Filters: a repeated parameter is OR, `__ic` is contains in any case, `q` reads Chinese.
  assert.deepEqual(await brandSlugs({ group: ["seres", "chery"], ordering: ["name"] }), [
    "aito",
    "luxeed",
  ]);
  assert.deepEqual(await brandSlugs({ name__ic: ["LYNK"] }), ["lynk-co"]);
  assert.deepEqual(await brandSlugs({ q: "问界" }), ["aito"]);

  // Pages: two rows, then the last one.
  const first = await api.GET("/api/v1/brands/", {
    params: { query: { limit: 2, ordering: ["name"] } },
  });
  assert.ok(first.data);
  assert.equal(first.data.count, 3);
  assert.deepEqual(first.data.results.map((brand) => brand.slug), ["aito", "luxeed"]);
  assert.equal(typeof first.data.next, "string");
  assert.equal(first.data.previous, null);
  const last = await api.GET("/api/v1/brands/", {
    params: { query: { limit: 2, offset: 2, ordering: ["name"] } },
  });
  assert.ok(last.data);
  assert.deepEqual(last.data.results.map((brand) => brand.slug), ["lynk-co"]);
  assert.equal(last.data.next, null);

  // A detail, and a 304 when it is read again with its ETag.
  const aito = { params: { path: { slug: "aito" } } };
  const read = await api.GET("/api/v1/brands/{slug}/", aito);
  assert.ok(read.data);
  assert.deepEqual([read.data.name, read.data.name_zh, read.data.group.slug], ["AITO", "问界", "seres"]);
  const etag = read.response.headers.get("ETag");
  assert.ok(etag);
  const unchanged = await api.GET("/api/v1/brands/{slug}/", {
    params: { path: { slug: "aito" }, header: { "If-None-Match": etag } },
  });
  assert.equal(unchanged.response.status, 304);

  // Create, change with If-Match, be refused with a stale ETag, delete.
  const created = await api.POST("/api/v1/brands/", {
    body: { slug: "exeed", name: "Exeed", name_zh: "星途", group: "chery", launched: 2018 },
  });
  assert.ok(created.data);
  // One object sent, one object back (a list body would give a list): narrowed, not cast.
  assert.ok(!Array.isArray(created.data));
  const brand = created.data;
  assert.deepEqual([brand.slug, brand.group.slug, brand.launched], ["exeed", "chery", 2018]);
  const exeed = { slug: "exeed" };
  const before = await api.GET("/api/v1/brands/{slug}/", { params: { path: exeed } });
  const stale = before.response.headers.get("ETag");
  assert.ok(stale);
  const changed = await api.PATCH("/api/v1/brands/{slug}/", {
    params: { path: exeed, header: { "If-Match": stale } },
    body: { headquarters: "Wuhu" },
  });
  assert.ok(changed.data);
  assert.equal(changed.data.headquarters, "Wuhu");
  const fresh = changed.response.headers.get("ETag");
  assert.ok(fresh);
  assert.notEqual(fresh, stale);
  const refused = await api.PATCH("/api/v1/brands/{slug}/", {
    params: { path: exeed, header: { "If-Match": stale } },
    body: { headquarters: "Hefei" },
  });
  assert.equal(refused.response.status, 412);
  assert.ok(refused.error);
  assert.deepEqual([refused.error.status, refused.error.code], [412, "precondition_failed"]);
  const again = await api.GET("/api/v1/brands/{slug}/", {
    params: { path: exeed, header: { "If-None-Match": fresh } },
  });
  assert.equal(again.response.status, 304);
  const deleted = await api.DELETE("/api/v1/brands/{slug}/", {
    params: { path: exeed, header: { "If-Match": fresh } },
  });
  assert.equal(deleted.response.status, 204);
  const gone = await api.GET("/api/v1/brands/{slug}/", { params: { path: exeed } });
  assert.equal(gone.response.status, 404);
  assert.equal(gone.error?.code, "not_found");

  // Every insight.
  const series = await api.GET("/api/v1/insights/deliveries/", {
    params: { query: { alliance: ["hima"] } },
  });
  assert.ok(series.data);
  assert.deepEqual(
    series.data.results.map((point) => [point.period, point.units]),
    [
      ["2025-10", 68216],
      ["2025-11", 81864],
      ["2025-12", 89611],
    ],
  );
  const dependencies = await api.GET("/api/v1/insights/dependencies/", {
    params: { query: { group: ["seres"] } },
  });
  assert.equal(dependencies.data?.brands, 1);
  const exposure = await api.GET("/api/v1/insights/exposure/", {
    params: { query: { company: ["nvidia"] } },
  });
  assert.ok(exposure.data);
  assert.deepEqual(exposure.data.results.map((hit) => hit.brand.slug), ["lynk-co"]);
  const graph = await api.GET("/api/v1/insights/graph/");
  assert.ok(graph.data);
  assert.equal(graph.data.counts.nodes, graph.data.nodes.length);
  assert.equal(graph.data.counts.edges, graph.data.edges.length);
  const stack = await api.GET("/api/v1/brands/{slug}/stack/", aito);
  assert.ok(stack.data);
  assert.deepEqual([stack.data.brand.slug, stack.data.group.slug, stack.data.home_country], [
    "aito",
    "seres",
    "CN",
  ]);

  // The change log tells the story of the brand created above, newest first.
  const log = await api.GET("/api/v1/changes/", { params: { query: { object: ["exeed"] } } });
  assert.ok(log.data);
  assert.deepEqual(
    log.data.results.map((record) => [record.action, record.channel]),
    [
      ["deleted", "api"],
      ["changed", "api"],
      ["created", "api"],
    ],
  );
}

await session();
console.log("typescript session: ok");
