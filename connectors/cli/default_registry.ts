// Copyright 2026 the @ca/streams authors. MIT license.

import { amqpDefinitions } from "../amqp/amqp_definitions.ts";
import { builtinDefinitions } from "../../src/config/builtins/builtin_definitions.ts";
import { Registry } from "../../src/config/registry.ts";
import { tcpDefinitions } from "../channel_tcp/tcp_definitions.ts";
import { wsDefinitions } from "../channel_ws/ws_definitions.ts";
import { denoKvDefinitions } from "../deno_kv_store/deno_kv_definitions.ts";
import { fileProcessors } from "../file/file_processors.ts";
import { fileStoreDefinitions } from "../file_store/file_store_definitions.ts";
import { httpDefinitions } from "../http/http_definitions.ts";
import { mqttDefinitions } from "../mqtt/mqtt_definitions.ts";
import { natsDefinitions } from "../nats/nats_definitions.ts";
import { mariadbDefinitions } from "../mariadb/mariadb_definitions.ts";
import { postgresDefinitions } from "../postgres/postgres_definitions.ts";
import { postgresDefinitionStoreDefinitions } from "../postgres/postgres_definition_store_definition.ts";
import { jetStreamDefinitionStoreDefinitions } from "../nats/jetstream_definition_store_definition.ts";
import { postgresLeaseEngineDefinitions } from "../postgres/postgres_lease_engine_definition.ts";
import { natsLeaseEngineDefinitions } from "../nats/nats_lease_engine_definition.ts";
import { redisDefinitions } from "../redis/redis_definitions.ts";

/**
 * A registry with every definition of the library, of every kind: the
 * core's processors (`generate`, `take`, `select`, `where`, `set`, ...)
 * and `memory` store, and each connector's definitions: `file-source`,
 * `file-sink`, the `file`, `deno-kv`, `redis`, `postgres` and `mariadb` stores, the
 * `tcp` and `ws` transports. A config's `modules` add the user's. No
 * client package loads here: each loads when its store or connector is
 * created.
 *
 * A new connector adds its definitions function here.
 *
 * @returns A new registry.
 *
 * @example What a config can name
 * ```ts
 * import { defaultRegistry } from "./default_registry.ts";
 *
 * const registry = defaultRegistry();
 * console.log(registry.names("store")); // ["memory", "file", "deno-kv", "redis", "postgres", "mariadb"]
 * if (!registry.has("transport", "ws")) throw new Error("no ws");
 * ```
 */
export function defaultRegistry(): Registry {
  return new Registry([
    ...builtinDefinitions(),
    ...fileProcessors(),
    ...fileStoreDefinitions(),
    ...denoKvDefinitions(),
    ...redisDefinitions(),
    ...postgresDefinitions(),
    ...postgresDefinitionStoreDefinitions(),
    ...jetStreamDefinitionStoreDefinitions(),
    ...postgresLeaseEngineDefinitions(),
    ...natsLeaseEngineDefinitions(),
    ...mariadbDefinitions(),
    ...httpDefinitions(),
    ...natsDefinitions(),
    ...mqttDefinitions(),
    ...amqpDefinitions(),
    ...tcpDefinitions(),
    ...wsDefinitions(),
  ]);
}
