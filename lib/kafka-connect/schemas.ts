/**
 * Light validation of the worker's answers, so a body of the wrong shape becomes a "malformed-response" error
 * at the call instead of a TypeError later. Objects are loose: fields a newer worker adds are kept.
 */

import * as z from "zod";
import type {
  ConfigInfos,
  ConfigKeyInfo,
  ConnectorInfo,
  ConnectorOffsets,
  ConnectorStateInfo,
  ExpandedConnectors,
  LoggerLevel,
  Message,
  PluginInfo,
  ServerInfo,
  TaskInfo,
  TaskStatus,
  WorkerHealth,
} from "./types.js";

const StringMap = z.record(z.string(), z.string());
const ConnectorTypeSchema = z.enum(["source", "sink", "unknown"]);
const StateSchema = z.enum(["UNASSIGNED", "RUNNING", "PAUSED", "FAILED", "RESTARTING", "STOPPED"]);
const nullableString = z.string().nullable();

export const ServerInfoSchema: z.ZodType<ServerInfo> = z.looseObject({
  version: z.string(),
  commit: z.string(),
  kafka_cluster_id: z.string(),
});

export const WorkerHealthSchema: z.ZodType<WorkerHealth> = z.looseObject({
  status: z.enum(["healthy", "starting", "unhealthy"]),
  message: z.string(),
});

export const ConnectorInfoSchema: z.ZodType<ConnectorInfo> = z.looseObject({
  name: z.string(),
  config: StringMap,
  tasks: z.array(z.looseObject({ connector: z.string(), task: z.number().int() })),
  type: ConnectorTypeSchema,
});

const ConnectorStatusShape = {
  state: StateSchema,
  worker_id: z.string(),
  trace: z.string().optional(),
};

export const TaskStatusSchema: z.ZodType<TaskStatus> = z.looseObject({
  id: z.number().int(),
  ...ConnectorStatusShape,
});

export const ConnectorStateInfoSchema: z.ZodType<ConnectorStateInfo> = z.looseObject({
  name: z.string(),
  type: ConnectorTypeSchema,
  connector: z.looseObject(ConnectorStatusShape),
  tasks: z.array(TaskStatusSchema),
});

export const ConnectorNamesSchema = z.array(z.string());

export const ExpandedConnectorsSchema: z.ZodType<ExpandedConnectors> = z.record(
  z.string(),
  z.looseObject({ status: ConnectorStateInfoSchema.optional(), info: ConnectorInfoSchema.optional() }),
);

export const ConfigSchema = StringMap;

export const TaskInfoListSchema: z.ZodType<TaskInfo[]> = z.array(
  z.looseObject({ id: z.looseObject({ connector: z.string(), task: z.number().int() }), config: StringMap }),
);

export const PluginInfoListSchema: z.ZodType<PluginInfo[]> = z.array(
  z.looseObject({ class: z.string(), type: z.string(), version: z.string().optional() }),
);

export const ConfigKeyInfoSchema: z.ZodType<ConfigKeyInfo> = z.looseObject({
  name: z.string(),
  type: z.string(),
  required: z.boolean(),
  default_value: nullableString,
  importance: nullableString,
  documentation: nullableString,
  group: nullableString,
  order: z.number().int(),
  width: nullableString,
  display_name: nullableString,
  dependents: z.array(z.string()),
});

export const ConfigKeyInfoListSchema = z.array(ConfigKeyInfoSchema);

export const ConfigInfosSchema: z.ZodType<ConfigInfos> = z.looseObject({
  name: z.string(),
  error_count: z.number().int(),
  groups: z.array(z.string()),
  configs: z.array(
    z.looseObject({
      definition: ConfigKeyInfoSchema.nullable(),
      value: z
        .looseObject({
          name: z.string(),
          value: nullableString,
          recommended_values: z.array(z.string()),
          errors: z.array(z.string()),
          visible: z.boolean(),
        })
        .nullable(),
    }),
  ),
});

export const ConnectorOffsetsSchema: z.ZodType<ConnectorOffsets> = z.looseObject({
  offsets: z.array(
    z.looseObject({
      partition: z.record(z.string(), z.unknown()),
      offset: z.record(z.string(), z.unknown()).nullable(),
    }),
  ),
});

export const MessageSchema: z.ZodType<Message> = z.looseObject({ message: z.string() });

export const TopicsSchema = z.record(z.string(), z.looseObject({ topics: z.array(z.string()) }));

export const LoggerLevelSchema: z.ZodType<LoggerLevel> = z.looseObject({
  level: z.string(),
  last_modified: z.number().nullable().optional(),
});

export const LoggersSchema = z.record(z.string(), LoggerLevelSchema);

export const AffectedLoggersSchema = z.array(z.string());
