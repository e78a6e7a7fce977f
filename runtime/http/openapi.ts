/**
 * The OpenAPI 3.1 description of Lifeflow's REST API, served at `GET /v2/openapi.json` and
 * rendered at `GET /v2/docs`. It is written by hand next to the routes: field names are the ones
 * the routes read and return (see routes/*.ts and views.ts). tests/openapi.test.ts fails when a
 * route is registered that is not described here, or described here but not registered.
 */

import { OWNER_TYPES, PERMISSION_TYPES, RESOURCE_TYPES } from '../auth/access.js';
import { CHANNELS, LOCALES, NOTIFICATION_EVENTS } from '../notifications/templates.js';

type Schema = Record<string, unknown>;
type Method = 'get' | 'post' | 'put' | 'delete' | 'patch';

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: {
    title: string;
    version: string;
    description: string;
    license?: { name: string; identifier: string };
  };
  servers: Array<{ url: string; description?: string }>;
  tags: Array<{ name: string; description: string }>;
  paths: Record<string, Partial<Record<Method, Schema>>>;
  components: Record<string, Record<string, unknown>>;
  security: Array<Record<string, string[]>>;
}

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const str = (description?: string, extra: Schema = {}): Schema => ({
  type: 'string',
  ...(description ? { description } : {}),
  ...extra,
});
const nullable = (schema: Schema): Schema =>
  schema.$ref ? { oneOf: [schema, { type: 'null' }] } : { ...schema, type: [schema.type, 'null'] };
const int = (description?: string, extra: Schema = {}): Schema => ({
  type: 'integer',
  ...(description ? { description } : {}),
  ...extra,
});
const bool = (description?: string): Schema => ({
  type: 'boolean',
  ...(description ? { description } : {}),
});
const arr = (items: Schema, description?: string): Schema => ({
  type: 'array',
  items,
  ...(description ? { description } : {}),
});
const key = (description?: string): Schema => (description ? { ...ref('Key'), description } : ref('Key'));
const dateTime = (description?: string): Schema => str(description, { format: 'date-time' });
const variables = (description = 'Variables: names and JSON values.'): Schema => ({
  type: 'object',
  additionalProperties: true,
  description,
});
/** An object schema: `required` lists mandatory fields; unknown fields are ignored by the server. */
const obj = (properties: Record<string, Schema>, required: string[] = [], description?: string): Schema => ({
  type: 'object',
  properties,
  ...(required.length ? { required } : {}),
  ...(description ? { description } : {}),
});
/** A response object whose every field is always present (nullable ones say so). */
const view = (properties: Record<string, Schema>, description?: string): Schema =>
  obj(properties, Object.keys(properties), description);

type FilterType = 'string' | 'key' | 'number' | 'boolean' | 'date' | 'array';
const FILTER_REF: Record<FilterType, string> = {
  string: 'StringFilterProperty',
  key: 'KeyFilterProperty',
  number: 'NumberFilterProperty',
  boolean: 'BooleanFilterProperty',
  date: 'DateFilterProperty',
  array: 'StringFilterProperty',
};

/** A Camunda-style search request whose filter accepts exactly `fields` (others answer 400). */
function searchRequest(what: string, fields: Record<string, FilterType>): Schema {
  return {
    type: 'object',
    description: `Search ${what}: filter by the listed fields, sort by any of them, page with from/limit.`,
    properties: {
      filter: {
        type: 'object',
        additionalProperties: false,
        properties: Object.fromEntries(Object.entries(fields).map(([f, t]) => [f, ref(FILTER_REF[t])])),
      },
      sort: arr(
        obj(
          {
            field: str('A filterable field.', { enum: Object.keys(fields) }),
            order: str('Default ASC.', { enum: ['ASC', 'DESC', 'asc', 'desc'] }),
          },
          ['field'],
        ),
      ),
      page: ref('SearchQueryPageRequest'),
    },
  };
}

/** A search request with filters beyond plain field comparisons. */
function withFilters(request: Schema, more: Record<string, Schema>): Schema {
  const properties = request.properties as Record<string, Schema>;
  const filter = properties.filter;
  return {
    ...request,
    properties: {
      ...properties,
      filter: { ...filter, properties: { ...(filter.properties as Schema), ...more } },
    },
  };
}

function searchResult(item: string): Schema {
  return view({ items: arr(ref(item)), page: ref('SearchQueryPageResponse') });
}

// ---- component schemas ------------------------------------------------------------------------

const USER_FIELDS = { username: 'string', name: 'string', email: 'string', enabled: 'boolean' } as const;
const GROUP_FIELDS = { groupId: 'string', name: 'string' } as const;
const ROLE_FIELDS = { roleId: 'string', name: 'string' } as const;
const TENANT_FIELDS = { tenantId: 'string', name: 'string' } as const;

const schemas: Record<string, Schema> = {
  Key: str('A 64-bit key serialised as a decimal string.', {
    pattern: '^\\d{1,19}$',
    examples: ['2251799813685249'],
  }),
  TenantId: str('A tenant id; the default tenant is `<default>`.', { examples: ['<default>'] }),
  ProblemDetail: {
    type: 'object',
    description: 'An RFC 9457 problem (`application/problem+json`). `title` is a stable code.',
    properties: {
      type: str('Always about:blank.', { examples: ['about:blank'] }),
      title: str('A stable code, e.g. INVALID_ARGUMENT, NOT_FOUND, UNAUTHORIZED, FORBIDDEN, CONFLICT.'),
      status: int('The HTTP status code.'),
      detail: str('What went wrong, for a person.'),
      instance: str('The request path.'),
      errors: arr(ref('FieldError'), 'One entry per invalid field (validation errors only).'),
    },
    required: ['type', 'title', 'status', 'detail', 'instance'],
  },
  FieldError: obj(
    {
      field: str('The field, e.g. `processDefinitionId`, `filter.state`, `(body)`.'),
      reason: str('Why it is not valid.'),
    },
    ['field', 'reason'],
  ),
  SearchQueryPageRequest: obj({
    from: int('Index of the first item (default 0).', { minimum: 0 }),
    limit: int('Items per page (default 100).', { minimum: 1, maximum: 1000 }),
  }),
  SearchQueryPageResponse: obj(
    {
      totalItems: int('Number of items matching the filter.'),
      startCursor: { type: 'null' },
      endCursor: { type: 'null' },
    },
    ['totalItems'],
  ),
  StringFilterProperty: {
    description: 'An exact value, or an object of operators.',
    oneOf: [
      { type: 'string' },
      obj({
        $eq: { type: 'string' },
        $neq: { type: 'string' },
        $gt: { type: 'string' },
        $gte: { type: 'string' },
        $lt: { type: 'string' },
        $lte: { type: 'string' },
        $in: arr({ type: 'string' }),
        $like: str('`*` matches any text, `?` one character.'),
        $exists: { type: 'boolean' },
      }),
    ],
  },
  KeyFilterProperty: {
    description: 'An exact key, or an object of operators.',
    oneOf: [
      ref('Key'),
      obj({
        $eq: ref('Key'),
        $neq: ref('Key'),
        $gt: ref('Key'),
        $gte: ref('Key'),
        $lt: ref('Key'),
        $lte: ref('Key'),
        $in: arr(ref('Key')),
        $exists: { type: 'boolean' },
      }),
    ],
  },
  NumberFilterProperty: {
    description: 'An exact number, or an object of operators.',
    oneOf: [
      { type: 'number' },
      obj({
        $eq: { type: 'number' },
        $neq: { type: 'number' },
        $gt: { type: 'number' },
        $gte: { type: 'number' },
        $lt: { type: 'number' },
        $lte: { type: 'number' },
        $in: arr({ type: 'number' }),
        $exists: { type: 'boolean' },
      }),
    ],
  },
  BooleanFilterProperty: {
    description: 'true or false, or an object of operators.',
    oneOf: [{ type: 'boolean' }, obj({ $eq: { type: 'boolean' }, $exists: { type: 'boolean' } })],
  },
  DateFilterProperty: {
    description: 'An exact ISO 8601 date-time, or an object of operators.',
    oneOf: [
      { type: 'string', format: 'date-time' },
      obj({
        $eq: dateTime(),
        $neq: dateTime(),
        $gt: dateTime(),
        $gte: dateTime(),
        $lt: dateTime(),
        $lte: dateTime(),
        $in: arr(dateTime()),
        $exists: { type: 'boolean' },
      }),
    ],
  },

  // auth
  CurrentUser: obj(
    {
      username: str(),
      displayName: str(),
      tenants: arr(view({ tenantId: ref('TenantId'), name: str() })),
      groups: arr(str()),
      roles: arr(str()),
      csrfToken: str('Only for cookie sessions: send it as X-CSRF-Token on every write.'),
      locale: str('The user’s language: zh-CN or en.'),
    },
    ['username', 'displayName', 'tenants', 'groups', 'roles'],
  ),
  UserPreferences: obj({ locale: str('zh-CN or en.') }, ['locale']),
  LoginRequest: obj({ username: str(), password: str(undefined, { format: 'password' }) }, [
    'username',
    'password',
  ]),
  ApiTokenRequest: obj({ name: str('What the token is for.') }, ['name']),
  ApiTokenCreated: view({
    tokenKey: key(),
    name: str(),
    token: str('The secret, shown only here: send it as `Authorization: Bearer <token>`.'),
  }),
  ApiToken: view({ tokenKey: key(), name: str(), createdAt: dateTime() }),
  ApiTokenList: view({ items: arr(ref('ApiToken')), page: view({ totalItems: int() }) }),

  // identity
  User: view({ username: str(), name: str(), email: nullable(str()), enabled: bool() }),
  UserCreateRequest: obj(
    {
      username: str(),
      password: str(undefined, { format: 'password' }),
      name: str('Default: the username.'),
      email: str(),
      enabled: bool('Default true.'),
      tenantIds: arr(ref('TenantId'), 'Default: the caller’s tenants.'),
    },
    ['username', 'password'],
  ),
  UserUpdateRequest: obj({
    name: str(),
    email: nullable(str()),
    password: str('A new password.', { format: 'password' }),
    currentPassword: str('Required when users change their own password.', { format: 'password' }),
    enabled: bool('Administrators only.'),
  }),
  UserSearchQuery: searchRequest('users', USER_FIELDS),
  UserSearchResult: searchResult('User'),
  Group: view({ groupId: str(), name: str(), description: nullable(str()) }),
  GroupCreateRequest: obj(
    {
      groupId: str(),
      name: str('Default: the group id.'),
      description: str(),
      tenantIds: arr(ref('TenantId')),
    },
    ['groupId'],
  ),
  GroupUpdateRequest: obj({ name: str(), description: str() }, ['name']),
  GroupSearchQuery: searchRequest('groups', GROUP_FIELDS),
  GroupSearchResult: searchResult('Group'),
  Role: view({
    roleId: str(),
    name: str(),
    description: nullable(str()),
    tenantId: nullable(str('The tenant of a custom role; null for built-in roles.')),
  }),
  RoleCreateRequest: obj(
    { roleId: str(), name: str('Default: the role id.'), description: str(), tenantId: ref('TenantId') },
    ['roleId'],
  ),
  RoleUpdateRequest: obj({ name: str(), description: str() }, ['name']),
  RoleSearchQuery: searchRequest('roles', ROLE_FIELDS),
  RoleSearchResult: searchResult('Role'),
  Tenant: view({ tenantId: ref('TenantId'), name: str(), description: nullable(str()) }),
  TenantCreateRequest: obj({ tenantId: ref('TenantId'), name: str(), description: str() }, [
    'tenantId',
    'name',
  ]),
  TenantUpdateRequest: obj({ name: str(), description: str() }, ['name']),
  TenantSearchQuery: searchRequest('tenants', TENANT_FIELDS),
  TenantSearchResult: searchResult('Tenant'),
  Authorization: view({
    authorizationKey: key(),
    tenantId: ref('TenantId'),
    ownerId: str(),
    ownerType: str(undefined, { enum: OWNER_TYPES }),
    resourceType: str(undefined, { enum: RESOURCE_TYPES }),
    resourceId: str('A process definition id, or `*` for all.'),
    permissionTypes: arr(str(undefined, { enum: PERMISSION_TYPES })),
  }),
  AuthorizationRequest: obj(
    {
      ownerId: str(),
      ownerType: str(undefined, { enum: OWNER_TYPES }),
      resourceType: str(undefined, { enum: RESOURCE_TYPES }),
      resourceId: str(),
      permissionTypes: { ...arr(str(undefined, { enum: PERMISSION_TYPES })), minItems: 1 },
      tenantId: ref('TenantId'),
    },
    ['ownerId', 'ownerType', 'resourceType', 'resourceId', 'permissionTypes'],
  ),
  AuthorizationCreated: view({ authorizationKey: key() }),
  AuthorizationSearchQuery: searchRequest('authorizations', {
    ownerId: 'string',
    ownerType: 'string',
    resourceType: 'string',
    resourceId: 'string',
    tenantId: 'string',
  }),
  AuthorizationSearchResult: searchResult('Authorization'),

  // deployments and definitions
  DeploymentRequest: obj(
    {
      resources: arr(
        { type: 'string', contentMediaType: 'application/octet-stream' },
        'BPMN (.bpmn), form (.form) and rule set (.json) files; at most 20, 2 MB each.',
      ),
      tenantId: ref('TenantId'),
    },
    ['resources'],
  ),
  DeploymentResult: view({
    deploymentKey: key(),
    tenantId: ref('TenantId'),
    deployments: arr({
      oneOf: [
        view({
          processDefinition: view({
            processDefinitionId: str(),
            processDefinitionVersion: int(),
            resourceName: str(),
            tenantId: ref('TenantId'),
            processDefinitionKey: key(),
          }),
        }),
        view({
          form: view({
            formId: str(),
            version: int(),
            resourceName: str(),
            tenantId: ref('TenantId'),
            formKey: key(),
          }),
        }),
        view({
          ruleSet: view({
            ruleSetId: str(),
            version: int(),
            resourceName: str(),
            tenantId: ref('TenantId'),
            ruleSetKey: key(),
          }),
        }),
      ],
    }),
    warnings: arr(view({ resourceName: str(), elementId: str(), message: str(), rule: str() })),
  }),
  ProcessDefinition: view({
    processDefinitionKey: key(),
    processDefinitionId: str(),
    name: nullable(str()),
    resourceName: str(),
    version: int(),
    versionTag: nullable(str()),
    tenantId: ref('TenantId'),
    hasStartForm: bool(),
  }),
  ProcessDefinitionStatisticsQuery: obj({
    filter: obj({ processDefinitionId: str(), tenantId: ref('TenantId') }),
    page: ref('SearchQueryPageRequest'),
  }),
  ProcessDefinitionStatistics: view({
    processDefinitionKey: key(),
    processDefinitionId: str(),
    name: nullable(str()),
    resourceName: str(),
    version: int(),
    versionTag: nullable(str()),
    tenantId: ref('TenantId'),
    hasStartForm: bool(),
    deploymentKey: key(),
    deployedAt: dateTime(),
    deployedBy: nullable(str('Who deployed this version.')),
    instances: view(
      {
        active: int(),
        completed: int(),
        canceled: int('Canceled or terminated.'),
        incidents: int('Active with an incident.'),
      },
      'Instances of this version by state.',
    ),
  }),
  ProcessDefinitionStatisticsList: view({
    items: arr(ref('ProcessDefinitionStatistics'), 'One per version: by process id, newest version first.'),
    page: view({ totalItems: int() }),
  }),
  Form: view({
    formKey: key(),
    formId: str(),
    version: int(),
    resourceName: str(),
    tenantId: ref('TenantId'),
    deploymentKey: key(),
    deployedAt: dateTime(),
    deployedBy: nullable(str()),
  }),
  LocalizedText: obj({ 'zh-CN': str('Chinese.'), en: str('English.') }, ['zh-CN', 'en']),
  ModuleFile: obj(
    {
      format: str('Always `lifeflow-module`.', { enum: ['lifeflow-module'] }),
      formatVersion: int('Always 1.'),
      id: str('Module id: lower-case letters, digits, dashes.'),
      version: str('major.minor.patch'),
      name: ref('LocalizedText'),
      description: ref('LocalizedText'),
      resources: arr(
        obj({ name: str('File name ending .bpmn, .form or .rules.json.'), content: str('The file text.') }, [
          'name',
          'content',
        ]),
        'The processes, forms and rule sets (at most 50, 2 MB each).',
      ),
      notificationTemplates: arr(
        obj({ event: str(), channel: str(), locale: str(), subject: str(), body: str() }, [
          'event',
          'channel',
          'locale',
          'subject',
          'body',
        ]),
        'Handlebars templates written into a tenant that enables the module, where it has none of its own.',
      ),
      dashboards: arr({ type: 'object', description: 'A dashboard definition with an id and a name.' }),
      settings: { type: 'object', description: 'Default settings a tenant starts from.' },
      requires: arr(
        str(),
        'Modules a tenant must have enabled first (and may not disable while this one is).',
      ),
    },
    ['format', 'formatVersion', 'id', 'version', 'name', 'resources'],
  ),
  ModuleImported: obj(
    { moduleId: str(), version: str(), created: bool('False when this very file was imported before.') },
    ['moduleId', 'version', 'created'],
  ),
  ModuleSummary: view({
    moduleId: str(),
    name: ref('LocalizedText'),
    description: ref('LocalizedText'),
    latestVersion: str(),
    versions: arr(str(), 'Newest first.'),
    enabled: bool('Enabled in the tenant.'),
    enabledVersion: nullable(str('The version the tenant runs.')),
    upgradeAvailable: bool('A newer standard than the tenant runs exists.'),
    overrides: int('How many resources the tenant overrides.'),
  }),
  ModuleSearchQuery: obj({
    filter: obj({ moduleId: str() }),
    tenantId: str('The tenant whose state is shown (default: the caller’s only or default tenant).'),
  }),
  ModuleSearchResult: searchResult('ModuleSummary'),
  ModuleDetail: {
    allOf: [
      ref('ModuleSummary'),
      obj({
        version: str('The version shown: the enabled one, else the latest.'),
        settings: { type: 'object' },
        resources: arr(
          obj({ resourceName: str(), kind: str('process, form or ruleSet.'), overridden: bool() }),
        ),
        notificationTemplates: arr(obj({ event: str(), channel: str(), locale: str() })),
        dashboards: arr(obj({ id: str(), name: ref('LocalizedText') })),
        overriddenResources: arr(
          obj({ resourceName: str(), baseVersion: str(), updatedBy: nullable(str()), updatedAt: dateTime() }),
        ),
      }),
    ],
  },
  ModuleEnablementRequest: obj({
    version: str('The version to enable or upgrade to (default: the latest).'),
    tenantId: str(),
  }),
  ModuleDeployed: obj({
    moduleId: str(),
    version: str(),
    tenantId: str(),
    resourceName: str(),
    baseVersion: str(),
    deployments: arr({ type: 'object' }, 'As in POST /v2/deployments.'),
  }),
  ModuleUpgradePreviewRequest: obj({ version: str('The version to compare with.'), tenantId: str() }, [
    'version',
  ]),
  ModuleUpgradePreview: obj({
    moduleId: str(),
    tenantId: str(),
    fromVersion: nullable(str()),
    toVersion: str(),
    changes: arr(
      obj({
        resourceName: str(),
        kind: str(),
        change: str('ADDED, CHANGED, UNCHANGED, REMOVED, or OVERRIDDEN (the tenant’s own is kept).', {
          enum: ['ADDED', 'CHANGED', 'UNCHANGED', 'REMOVED', 'OVERRIDDEN'],
        }),
        standardChanged: bool('For OVERRIDDEN: the standard changed since the override was made.'),
        runningInstances: obj({
          total: int(),
          items: arr(obj({ processInstanceKey: key(), businessKey: nullable(str()), version: int() })),
        }),
      }),
    ),
  }),
  ModuleResource: obj({
    moduleId: str(),
    resourceName: str(),
    kind: str(),
    standard: obj({ version: str(), content: str() }),
    override: nullable(
      obj({
        content: str(),
        baseVersion: str(),
        baseContent: nullable(str('The standard the override was made from (its diff is against this).')),
        updatedBy: nullable(str()),
        updatedAt: dateTime(),
      }),
    ),
    latest: nullable(
      obj({ version: str(), content: str() }, [], 'The newest standard, when the tenant runs an older one.'),
    ),
  }),
  ModuleOverrideRequest: obj({ content: str('The tenant’s version of the resource.'), tenantId: str() }, [
    'content',
  ]),
  DesignLesson: view({
    lessonKey: key(),
    tenantId: str(),
    processInstanceKey: key('The feedback loop it came from.'),
    project: nullable(str()),
    asset: nullable(str()),
    category: nullable(str()),
    severity: nullable(str()),
    title: str(),
    cause: nullable(str()),
    measures: nullable(str()),
    lesson: nullable(str('The lesson for the next design (Design for Operation).')),
    createdAt: dateTime(),
  }),
  DesignLessonSearchQuery: withFilters(
    searchRequest('design lessons', {
      lessonKey: 'key',
      tenantId: 'string',
      processInstanceKey: 'key',
      project: 'string',
      asset: 'string',
      category: 'string',
      severity: 'string',
      createdAt: 'date',
    }),
    { text: str('A word in the title, cause, measures or lesson (at most 200 characters).') },
  ),
  DesignLessonSearchResult: searchResult('DesignLesson'),
  Asset: view({
    assetKey: key(),
    tenantId: str(),
    code: str(
      'The location code (位置编码), unique in the tenant; processes name it as the variable `asset`.',
    ),
    name: str(),
    project: str(),
    building: nullable(str()),
    system: nullable(str()),
    equipment: nullable(str()),
    bimGuid: nullable(str('The BIM element: an IFC GlobalId (22 characters) or a UUID.')),
    createdAt: dateTime(),
  }),
  AssetRequest: obj(
    {
      code: str(),
      name: str(),
      project: str(),
      building: nullable(str()),
      system: nullable(str()),
      equipment: nullable(str()),
      bimGuid: nullable(str()),
      tenantId: str('Create only: the tenant (default: the caller’s only or default tenant).'),
    },
    [],
    'On create code, name and project are required; on update every field is optional (null removes it).',
  ),
  AssetSearchQuery: searchRequest('assets', {
    assetKey: 'key',
    tenantId: 'string',
    code: 'string',
    name: 'string',
    project: 'string',
    building: 'string',
    system: 'string',
    equipment: 'string',
    bimGuid: 'string',
  }),
  AssetSearchResult: searchResult('Asset'),
  AssetOverview: obj({
    asset: ref('Asset'),
    instances: arr(
      { type: 'object' },
      'Process instances whose variable `asset` is the code (those the caller may read), newest first.',
    ),
    openProblems: arr(
      { type: 'object' },
      'Open feedback loops of the asset, with description, severity and category.',
    ),
    handoverDocuments: arr({ type: 'object' }, 'Documents of its handover sign-off instances.'),
    kpis: arr({ type: 'object' }, 'Results of the finished KPI reviews of its project.'),
  }),
  Dashboard: obj({
    dashboardId: str(),
    moduleId: str('The module that brings it.'),
    name: ref('LocalizedText'),
    query: str('The built-in data query.', {
      enum: ['kpi-trend', 'feedback-volume', 'feedback-sla', 'handover-progress', 'rework-rate'],
    }),
    chart: str('How the web app draws it.', { enum: ['bar', 'line', 'stacked-bar'] }),
  }),
  DashboardList: obj({ items: arr(ref('Dashboard')), page: obj({ totalItems: int() }) }),
  DashboardData: {
    allOf: [
      ref('Dashboard'),
      obj({
        from: dateTime(),
        to: dateTime(),
        timeZone: str(),
        columns: arr(obj({ key: str(), label: ref('LocalizedText'), type: str('text or number.') })),
        rows: arr({ type: 'object', description: 'One value per column key.' }),
      }),
    ],
  },
  FormWithSchema: {
    allOf: [ref('Form'), obj({ schema: str('The form-js schema as a JSON string.') }, ['schema'])],
  },
  FormSearchQuery: searchRequest('forms', {
    formKey: 'key',
    formId: 'string',
    version: 'number',
    resourceName: 'string',
    tenantId: 'string',
    deploymentKey: 'key',
    deployedBy: 'string',
    isLatestVersion: 'boolean',
  }),
  FormSearchResult: searchResult('Form'),
  RuleSet: view({
    ruleSetKey: key(),
    ruleSetId: str(),
    name: nullable(str()),
    version: int(),
    resourceName: str(),
    tenantId: ref('TenantId'),
    deploymentKey: key(),
    deployedAt: dateTime(),
    deployedBy: nullable(str()),
  }),
  RuleSetDocument: obj(
    {
      id: str('Letters, digits, _ . -'),
      name: str(),
      rules: arr({ type: 'object', description: 'A json-rules-engine rule.' }),
    },
    ['id', 'rules'],
  ),
  RuleSetWithContent: {
    allOf: [ref('RuleSet'), obj({ content: ref('RuleSetDocument') }, ['content'])],
  },
  RuleSetSearchQuery: searchRequest('rule sets', {
    ruleSetKey: 'key',
    ruleSetId: 'string',
    name: 'string',
    version: 'number',
    resourceName: 'string',
    tenantId: 'string',
    deploymentKey: 'key',
    deployedBy: 'string',
    isLatestVersion: 'boolean',
  }),
  RuleSetSearchResult: searchResult('RuleSet'),
  RuleSetEvaluationRequest: obj(
    {
      ruleSet: ref('RuleSetDocument'),
      ruleSetKey: key('A deployed version instead of a draft.'),
      variables: variables('The facts the rules read.'),
    },
    [],
    'Exactly one of ruleSet (a draft) and ruleSetKey.',
  ),
  RuleSetEvaluationResult: view({
    events: arr(view({ type: str(), params: { type: 'object', additionalProperties: true } })),
    params: { type: 'object', additionalProperties: true, description: 'The fired events’ params merged.' },
  }),
  ProcessDefinitionSearchQuery: searchRequest('process definitions', {
    processDefinitionKey: 'key',
    processDefinitionId: 'string',
    name: 'string',
    version: 'number',
    versionTag: 'string',
    resourceName: 'string',
    tenantId: 'string',
    isLatestVersion: 'boolean',
    startable: 'boolean',
  }),
  ProcessDefinitionSearchResult: searchResult('ProcessDefinition'),

  // process instances
  ProcessInstanceCreateRequest: {
    ...obj({
      processDefinitionKey: key('Start this definition; or give processDefinitionId.'),
      processDefinitionId: str('Start a version of the process with this BPMN id.'),
      processDefinitionVersion: int('With processDefinitionId: the version; -1 (default) means latest.', {
        minimum: -1,
      }),
      variables: variables(),
      tenantId: ref('TenantId'),
      businessKey: str(),
      approvers: {
        type: 'object',
        description:
          'Lifeflow, 发起人自选: the approvers you pick, by the element id of each approval with strategy initiatorPicks (required for each such node unless it may pass or go to the administrators).',
        additionalProperties: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 50 },
      },
    }),
    anyOf: [{ required: ['processDefinitionKey'] }, { required: ['processDefinitionId'] }],
  },
  ProcessInstanceCreated: view({
    processDefinitionKey: key(),
    processDefinitionId: str(),
    processDefinitionVersion: int(),
    processInstanceKey: key(),
    tenantId: ref('TenantId'),
    state: str(undefined, { enum: ['ACTIVE', 'COMPLETED', 'TERMINATED'] }),
  }),
  ProcessInstance: view({
    processInstanceKey: key(),
    processDefinitionId: str(),
    processDefinitionName: nullable(str()),
    processDefinitionVersion: int(),
    processDefinitionKey: key(),
    parentProcessInstanceKey: nullable(key()),
    parentElementInstanceKey: nullable(key()),
    businessKey: nullable(str()),
    initiator: nullable(str()),
    startDate: dateTime(),
    endDate: nullable(dateTime()),
    state: str(undefined, { enum: ['ACTIVE', 'COMPLETED', 'TERMINATED'] }),
    hasIncident: bool(),
    tenantId: ref('TenantId'),
  }),
  ProcessInstanceSearchQuery: withFilters(
    searchRequest('process instances', {
      processInstanceKey: 'key',
      processDefinitionKey: 'key',
      processDefinitionId: 'string',
      processDefinitionVersion: 'number',
      state: 'string',
      hasIncident: 'boolean',
      businessKey: 'string',
      initiator: 'string',
      parentProcessInstanceKey: 'key',
      startDate: 'date',
      endDate: 'date',
      tenantId: 'string',
    }),
    {
      variables: arr(
        obj(
          {
            name: str(),
            value: str('The value as JSON text: a text HO-1 is "\\"HO-1\\"", a number 5 is "5".'),
          },
          ['name', 'value'],
        ),
        'Instances having every one of these variables with that value (in any scope).',
      ),
    },
  ),
  ProcessInstanceSearchResult: searchResult('ProcessInstance'),
  HistoryEvent: view({
    eventType: str('The engine event, e.g. element.activated.'),
    elementId: nullable(str()),
    command: str('The command that caused it.'),
    commandId: str(),
    actor: nullable(str('Who caused it.')),
    data: { type: 'object', additionalProperties: true },
    createdAt: dateTime(),
  }),
  HistoryEventList: view({ items: arr(ref('HistoryEvent')), page: view({ totalItems: int() }) }),
  RecordUser: view({ username: str(), name: nullable(str('Display name.')) }),
  TimelineItem: view({
    at: dateTime(),
    actor: nullable(ref('RecordUser')),
    action: str(
      'started, completed, approved, rejected, claimed, assigned, unassigned, transferred, returned, delegated, resolved, signers_changed, taken_back, copied, urged, withdrawn, terminated, approval_passed, approval_failed, ended, ended_rejected, auto_approved, auto_rejected, escalated, routed.',
    ),
    elementId: nullable(str()),
    elementName: nullable(str()),
    userTaskKey: nullable(key()),
    onBehalfOf: nullable(ref('RecordUser')),
    to: arr(
      ref('RecordUser'),
      'Whom it went to: the new assignee, the delegate, those copied, the signers added or routed to.',
    ),
    removed: arr(ref('RecordUser'), 'Signers removed (减签).'),
    groups: arr(str(), 'Groups copied (抄送).'),
    targetName: nullable(str('The element it was returned to (退回).')),
    comment: nullable(str('The comment, or the reason of a routing or an escalation.')),
    changes: nullable(
      arr(
        view({ field: str('Dotted path, e.g. items[0].qty.'), before: {}, after: {} }),
        'What the submission changed against the previous submission of the same task (or the values before).',
      ),
    ),
    attachments: arr(
      view({ documentId: str(), fileName: str(), contentType: str(), size: int() }),
      'Documents linked to the task when it was completed.',
    ),
  }),
  InstanceHistory: {
    oneOf: [
      ref('HistoryEventList'),
      view({ items: arr(ref('TimelineItem')), page: view({ totalItems: int() }) }, 'With view=timeline.'),
    ],
  },

  // user tasks
  UserTask: view({
    userTaskKey: key(),
    name: nullable(str()),
    state: str(undefined, { enum: ['CREATED', 'COMPLETED', 'CANCELED'] }),
    assignee: nullable(str()),
    elementId: str(),
    elementInstanceKey: key(),
    candidateGroups: arr(str()),
    candidateUsers: arr(str()),
    owner: nullable(str('委派: who delegated the task (while and after it was delegated).')),
    delegationState: nullable(str(undefined, { enum: ['PENDING', 'RESOLVED'] })),
    processDefinitionId: str(),
    processDefinitionKey: key(),
    processDefinitionVersion: int(),
    processInstanceKey: key(),
    formKey: nullable(key()),
    hasEmbeddedForm: bool(),
    creationDate: dateTime(),
    completionDate: nullable(dateTime()),
    dueDate: nullable(dateTime()),
    followUpDate: nullable(dateTime()),
    priority: int(),
    customHeaders: { type: 'object', additionalProperties: { type: 'string' } },
    tenantId: ref('TenantId'),
  }),
  UserTaskSearchQuery: searchRequest('user tasks', {
    userTaskKey: 'key',
    state: 'string',
    assignee: 'string',
    elementId: 'string',
    name: 'string',
    candidateGroup: 'array',
    candidateUser: 'array',
    processDefinitionKey: 'key',
    processDefinitionId: 'string',
    processInstanceKey: 'key',
    elementInstanceKey: 'key',
    formKey: 'key',
    priority: 'number',
    dueDate: 'date',
    followUpDate: 'date',
    creationDate: 'date',
    completionDate: 'date',
    tenantId: 'string',
  }),
  UserTaskSearchResult: searchResult('UserTask'),
  UserTaskForm: view({
    formKey: nullable(key('Null for a form embedded in the BPMN.')),
    formId: nullable(str()),
    version: nullable(int()),
    tenantId: ref('TenantId'),
    schema: str('The form schema, JSON-serialised.'),
  }),
  UserTaskAssignmentRequest: obj(
    { assignee: str(), allowOverride: bool('Default true: replace a current assignee.') },
    ['assignee'],
  ),
  UserTaskCompletionRequest: obj({ variables: variables() }),
  UserTaskTransferRequest: obj(
    {
      assignee: str('The user who takes the task over.'),
      comment: str('Why (at most 2000 characters); shown to the new assignee and in the history.', {
        maxLength: 2000,
      }),
    },
    ['assignee'],
  ),
  DepartmentRequest: obj(
    {
      departmentId: str('Id within the tenant.'),
      name: str(),
      parentId: str('The departmentId of the department above (none: at the top).'),
      head: str('Username of the department head (部门负责人).'),
      tenantId: ref('TenantId'),
    },
    ['departmentId', 'name'],
  ),
  DepartmentUpdateRequest: obj(
    {
      name: str(),
      parentId: str('The departmentId of the department above.'),
      head: str('Username of the head.'),
    },
    ['name'],
  ),
  Department: obj(
    {
      departmentKey: key(),
      tenantId: ref('TenantId'),
      departmentId: str(),
      name: str(),
      parentId: nullable(str()),
      head: nullable(str()),
    },
    ['departmentKey', 'tenantId', 'departmentId', 'name', 'parentId', 'head'],
  ),
  DepartmentSearchQuery: searchRequest('departments', {
    departmentId: 'string',
    name: 'string',
    parentId: 'string',
    head: 'string',
    tenantId: 'string',
  }),
  DepartmentSearchResult: searchResult('Department'),
  DepartmentUserSearchQuery: searchRequest('department members', {
    username: 'string',
    name: 'string',
    email: 'string',
    enabled: 'boolean',
  }),
  WorkingCalendarHours: obj(
    {
      from: str('Start, HH:MM (included).', { pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' }),
      to: str('End, HH:MM (excluded); may be 24:00.', { pattern: '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$' }),
    },
    ['from', 'to'],
  ),
  WorkingCalendarDefinition: obj(
    {
      name: str('What people call it, e.g. 项目部工作日.'),
      base: str('CN (default): Chinese statutory holidays and 调休 make-up days; NONE: weekdays only.', {
        enum: ['CN', 'NONE'],
      }),
      timeZone: str('IANA time zone of the days and hours (default Asia/Shanghai).'),
      weekdays: arr(
        int(undefined, { minimum: 1, maximum: 7 }),
        'ISO weekdays that are working days (1 = Monday … 7 = Sunday; default 1–5).',
      ),
      hours: arr(
        ref('WorkingCalendarHours'),
        'Working periods of a day, sorted, not overlapping (default 09:00–12:00, 13:30–18:00).',
      ),
      holidays: arr(
        str(undefined, { format: 'date' }),
        'Extra days off (YYYY-MM-DD); they override the base.',
      ),
      workdays: arr(
        str(undefined, { format: 'date' }),
        'Extra working days (YYYY-MM-DD); they override the base.',
      ),
    },
    ['name'],
    'A working calendar. Missing fields take the defaults; unknown fields are refused (400 naming them).',
  ),
  WorkingCalendarRequest: {
    allOf: [
      ref('WorkingCalendarDefinition'),
      obj({
        calendarId: str('Id within the tenant; cn-standard or natural override that built-in.'),
        tenantId: ref('TenantId'),
      }),
    ],
    required: ['calendarId', 'name'],
  },
  WorkingCalendar: view({
    tenantId: ref('TenantId'),
    calendarId: str(),
    name: str(),
    builtIn: bool('A built-in calendar the tenant has not overridden (nothing stored).'),
    base: str(undefined, { enum: ['CN', 'NONE'] }),
    timeZone: str(),
    weekdays: arr(int()),
    hours: arr(ref('WorkingCalendarHours')),
    holidays: arr(str(undefined, { format: 'date' })),
    workdays: arr(str(undefined, { format: 'date' })),
    statutoryHolidaysUntil: nullable(
      int('Base CN: the last year whose statutory holidays are known; later years need holidays/workdays.'),
    ),
    createdAt: nullable(dateTime()),
    updatedAt: nullable(dateTime()),
  }),
  WorkingCalendarSearchQuery: searchRequest('working calendars (built-ins included)', {
    calendarId: 'string',
    name: 'string',
    tenantId: 'string',
    builtIn: 'boolean',
  }),
  WorkingCalendarSearchResult: searchResult('WorkingCalendar'),
  DueDateRequest: obj(
    {
      from: dateTime('Start, with an offset (default: now).'),
      duration: str(
        'ISO 8601 working time: PT4H, PT30M (inside working hours), P2D (same time on the 2nd next working day), P1W (as many working days as the calendar has weekdays), P1DT4H. Years and months are refused.',
      ),
    },
    ['duration'],
  ),
  DueDate: view({
    tenantId: ref('TenantId'),
    calendarId: str(),
    from: dateTime(),
    duration: str(),
    dueDate: dateTime('When the working time has elapsed.'),
    workingMs: int('Working time between from and dueDate, in milliseconds.'),
  }),
  SubstitutionRequest: obj(
    {
      substitute: str('Who acts for the absent user.'),
      startsAt: dateTime(),
      endsAt: dateTime(),
      processDefinitionId: str('Only for this process (default: every process).'),
      username: str('The absent user (default: you; administrators may name others).'),
      tenantId: ref('TenantId'),
    },
    ['substitute', 'startsAt', 'endsAt'],
  ),
  Substitution: obj(
    {
      substitutionKey: key(),
      tenantId: ref('TenantId'),
      username: str(),
      substitute: str(),
      startsAt: dateTime(),
      endsAt: dateTime(),
      processDefinitionId: nullable(str()),
    },
    ['substitutionKey', 'tenantId', 'username', 'substitute', 'startsAt', 'endsAt', 'processDefinitionId'],
  ),
  SubstitutionSearchQuery: searchRequest('out-of-office rules', {
    username: 'string',
    substitute: 'string',
    processDefinitionId: 'string',
    tenantId: 'string',
  }),
  SubstitutionSearchResult: searchResult('Substitution'),
  InboxCounts: obj(
    {
      todo: int('Open tasks assigned to you (待办).'),
      overdue: int('Of those, past their due date.'),
      unclaimed: int('Open unassigned tasks for you or your groups (待认领).'),
      done: int('Tasks you completed (已办).'),
      started: int('Instances you started (我发起的).'),
      startedActive: int('Of those, still running.'),
      cc: int('Copies sent to you (抄送我的).'),
      ccUnread: int('Of those, not yet read (未阅).'),
      unreadNotifications: int('All your unread notifications.'),
    },
    [
      'todo',
      'overdue',
      'unclaimed',
      'done',
      'started',
      'startedActive',
      'cc',
      'ccUnread',
      'unreadNotifications',
    ],
  ),
  InboxSearchQuery: {
    ...obj(
      {
        filter: {
          ...obj(
            {
              tab: str('待办 todo, 待认领 unclaimed, 已办 done, 我发起的 started, 抄送我的 cc, or overdue.', {
                enum: ['todo', 'unclaimed', 'done', 'started', 'cc', 'overdue'],
              }),
              processDefinitionId: str('Only this process (narrows the counts too).'),
              dueDate: {
                ...obj({ $gte: dateTime(), $lte: dateTime() }, [], 'Task tabs only: due in this range.'),
                additionalProperties: false,
              },
              overdue: bool('Task tabs only: past the due date (done: completed after it).'),
              unread: bool('cc only: not yet read (true), or read (false).'),
              search: str(
                'Process name, task name or business key contain it, ignoring case (narrows the counts too).',
                { maxLength: 200 },
              ),
            },
            ['tab'],
          ),
          additionalProperties: false,
        },
        sort: arr(
          obj(
            {
              field: str(
                'todo, unclaimed, overdue: creationDate, dueDate, priority, startDate; done: those and completionDate; started: creationDate, startDate, completionDate; cc: creationDate, startDate.',
                { enum: ['creationDate', 'dueDate', 'priority', 'completionDate', 'startDate'] },
              ),
              order: str('Default ASC.', { enum: ['ASC', 'DESC', 'asc', 'desc'] }),
            },
            ['field'],
          ),
        ),
        page: {
          ...obj({
            from: int('Index of the first item (default 0).', { minimum: 0 }),
            limit: int('Items per page (default 20).', { minimum: 1, maximum: 100 }),
          }),
          additionalProperties: false,
        },
      },
      ['filter'],
      'One tab of your inbox. Unknown fields, and filters or sorts the tab has no use for, answer 400.',
    ),
    additionalProperties: false,
  },
  InboxItem: view(
    {
      kind: str('TASK (a user task), INSTANCE (an instance you started) or CC (a copy sent to you).', {
        enum: ['TASK', 'INSTANCE', 'CC'],
      }),
      userTaskKey: nullable(key()),
      processInstanceKey: nullable(key()),
      processDefinitionId: nullable(str()),
      processDefinitionKey: nullable(key()),
      processName: nullable(str('The process name, else its id.')),
      businessKey: nullable(str()),
      elementId: nullable(str()),
      taskName: nullable(str()),
      assignee: nullable(str()),
      initiator: nullable(str()),
      state: nullable(str('The task’s state (TASK), else the instance’s.')),
      creationDate: nullable(
        dateTime('The task’s creation, the instance’s start, or when the copy was sent.'),
      ),
      startDate: nullable(dateTime('The instance’s start.')),
      dueDate: nullable(dateTime()),
      completionDate: nullable(dateTime('The task’s completion, or the instance’s end.')),
      priority: nullable(int()),
      overdue: bool('Past its due date: still open, or completed after it.'),
      notificationKey: nullable(key()),
      read: nullable(bool('CC: whether it was read.')),
      tenantId: ref('TenantId'),
    },
    'One row of any inbox tab; what does not apply to its kind is null.',
  ),
  InboxSearchResult: view({
    items: arr(ref('InboxItem')),
    page: view({ totalItems: int('Items of the tab under the filters.'), from: int(), limit: int() }),
    counts: view(
      {
        todo: int(),
        unclaimed: int(),
        done: int(),
        started: int(),
        cc: int(),
        ccUnread: int(),
        overdue: int(),
      },
      'Totals of every tab for you under the same processDefinitionId and search.',
    ),
  }),
  ApprovalSignersRequest: obj({
    add: arr(str(), 'Users who join, placed by `position`.'),
    remove: arr(str(), 'Pending signers who have not acted yet (also those waiting their turn).'),
    position: str(
      'Where the added sign, relative to this task’s signer: `alongside` (at once; default of parallel approvals), `before` (your task waits until they decided), `after` (they get their tasks once you decided), or `end` (of a sequential queue; its default).',
      { enum: ['alongside', 'before', 'after', 'end'] },
    ),
    comment: str('Why (at most 2000 characters).', { maxLength: 2000 }),
  }),
  UserTaskDelegationRequest: obj(
    {
      delegate: str('The user who works the task out for you.'),
      comment: str('A note (at most 2000 characters).', { maxLength: 2000 }),
    },
    ['delegate'],
  ),
  UserTaskResolutionRequest: obj({
    variables: variables(),
    comment: str('A note for the owner (at most 2000 characters).', { maxLength: 2000 }),
  }),
  UserTaskReturnRequest: obj(
    {
      target: str(
        '`previous` (default: the most recent user task done before, in the same scope), `initiator` (the first user task the initiator did) or the element id of an earlier user task.',
      ),
      comment: str('Why (required, at most 2000 characters).', { maxLength: 2000 }),
    },
    ['comment'],
  ),
  InstanceCarbonCopyRequest: obj({
    users: arr(str(), 'Usernames to copy.'),
    groups: arr(str(), 'Groups whose members to copy.'),
    comment: str('A note for them (at most 2000 characters).', { maxLength: 2000 }),
  }),
  InstanceCommentRequest: obj({
    comment: str('A note (at most 2000 characters).', { maxLength: 2000 }),
  }),
  NotifiedResponse: obj({ notified: int('How many people were told.') }, ['notified']),
  UserTaskDecisionRequest: obj(
    {
      decision: str('The approver’s decision.', { enum: ['approve', 'reject'] }),
      comment: str('Why; required when rejecting (at most 2000 characters).', { maxLength: 2000 }),
      variables: variables(),
      nextApprovers: {
        type: 'object',
        description:
          '审批人自选: the approvers you pick for the approvals after this one with strategy previousPicks, by element id; required when your decision opens such a node.',
        additionalProperties: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 50 },
      },
    },
    ['decision'],
  ),

  // jobs
  JobActivationRequest: obj(
    {
      type: str('The job type (the task definition type).'),
      worker: str('Name of the worker (default `default`).'),
      timeout: int('How long the jobs are locked for this worker, in ms.', { minimum: 1 }),
      maxJobsToActivate: int(undefined, { minimum: 1, maximum: 1000 }),
      fetchVariable: arr(str(), 'Only these variables (default: all).'),
      requestTimeout: int('Long-polling time in ms: 0 the default (10 s), negative answers at once.', {
        maximum: 600000,
      }),
      tenantIds: arr(ref('TenantId')),
    },
    ['type', 'timeout', 'maxJobsToActivate'],
  ),
  ActivatedJob: view({
    jobKey: key(),
    type: str(),
    kind: str(),
    listenerEventType: str(),
    processInstanceKey: key(),
    processDefinitionId: str(),
    processDefinitionVersion: int(),
    processDefinitionKey: key(),
    elementId: str(),
    elementInstanceKey: key(),
    customHeaders: { type: 'object', additionalProperties: { type: 'string' } },
    worker: str(),
    retries: int(),
    deadline: int('Epoch milliseconds.'),
    variables: variables(),
    tenantId: ref('TenantId'),
  }),
  JobActivationResult: view({ jobs: arr(ref('ActivatedJob')) }),
  JobCompletionRequest: obj({ variables: variables() }),
  JobFailRequest: obj({
    retries: int('Retries left (default 0: an incident is raised).', { minimum: 0 }),
    errorMessage: str(),
    retryBackOff: int('Milliseconds before the job may be activated again.', { minimum: 0 }),
    variables: variables(),
  }),
  JobErrorRequest: obj({ errorCode: str(), errorMessage: str(), variables: variables() }, ['errorCode']),

  // the monitor: modification, statistics, jobs
  ProcessInstanceModification: obj({
    activateInstructions: arr(
      obj(
        {
          elementId: str('The element to activate (not a start or boundary event).'),
          ancestorElementInstanceKey: key(
            'The instance of the element’s sub-process to activate it in, when it has several.',
          ),
          variableInstructions: arr(
            obj({ variables: variables() }, ['variables']),
            'Set on the element’s scope first.',
          ),
        },
        ['elementId'],
      ),
    ),
    terminateInstructions: arr(obj({ elementInstanceKey: key() }, ['elementInstanceKey'])),
  }),
  ElementStatisticsQuery: obj({
    filter: obj({ startDateFrom: dateTime(), startDateTo: dateTime() }),
  }),
  ElementStatistics: view({
    elementId: str(),
    active: int(),
    completed: int(),
    canceled: int('Terminated.'),
    incidents: int('Active with an incident.'),
    averageDurationMs: nullable(int('Over completed element instances; null when none completed.')),
    p90DurationMs: nullable(int('The 90th percentile over completed element instances.')),
  }),
  ElementStatisticsList: view({ items: arr(ref('ElementStatistics')) }),
  DailyStatisticsQuery: obj({
    from: str('First day, YYYY-MM-DD (default: 29 days before `to`).', { format: 'date' }),
    to: str('Last day, YYYY-MM-DD (default: today in the time zone).', { format: 'date' }),
    timeZone: str('IANA time zone the days are counted in (default UTC), e.g. Asia/Shanghai.'),
  }),
  DailyStatisticsList: view({
    items: arr(view({ date: str(undefined, { format: 'date' }), started: int(), completed: int() })),
    timeZone: str(),
  }),
  Job: view({
    jobKey: key(),
    type: str(),
    kind: str('BPMN_ELEMENT (work for a worker), TIMER or SIGNAL.'),
    state: str('CREATED, ACTIVATED, FAILED, COMPLETED, ERROR_THROWN or CANCELED.'),
    retries: int(),
    worker: nullable(str()),
    errorMessage: nullable(str()),
    errorCode: nullable(str()),
    elementId: nullable(str()),
    elementInstanceKey: nullable(key()),
    processInstanceKey: nullable(key()),
    processDefinitionKey: nullable(key()),
    processDefinitionId: nullable(str()),
    deadline: nullable(dateTime()),
    dueDate: nullable(dateTime('When a timer fires or a failed job is retried.')),
    creationTime: nullable(dateTime()),
    endTime: nullable(dateTime()),
    tenantId: ref('TenantId'),
  }),
  JobSearchQuery: searchRequest('jobs', {
    jobKey: 'key',
    type: 'string',
    kind: 'string',
    state: 'string',
    retries: 'number',
    worker: 'string',
    elementId: 'string',
    elementInstanceKey: 'key',
    processInstanceKey: 'key',
    processDefinitionKey: 'key',
    processDefinitionId: 'string',
    dueDate: 'date',
    creationTime: 'date',
    tenantId: 'string',
  }),
  JobSearchResult: searchResult('Job'),

  // incidents, element instances, variables
  Incident: view({
    incidentKey: key(),
    processDefinitionKey: key(),
    processDefinitionId: str(),
    processInstanceKey: key(),
    elementInstanceKey: key(),
    elementId: str(),
    jobKey: nullable(key()),
    errorType: str(),
    errorMessage: nullable(str()),
    state: str(undefined, { enum: ['ACTIVE', 'RESOLVED'] }),
    creationTime: dateTime(),
    tenantId: ref('TenantId'),
  }),
  IncidentSearchQuery: searchRequest('incidents', {
    incidentKey: 'key',
    processDefinitionKey: 'key',
    processDefinitionId: 'string',
    processInstanceKey: 'key',
    elementInstanceKey: 'key',
    elementId: 'string',
    jobKey: 'key',
    errorType: 'string',
    errorMessage: 'string',
    state: 'string',
    creationTime: 'date',
    tenantId: 'string',
  }),
  IncidentSearchResult: searchResult('Incident'),
  ElementInstance: view({
    elementInstanceKey: key(),
    processInstanceKey: key(),
    processDefinitionKey: key(),
    processDefinitionId: str(),
    elementId: str(),
    elementName: nullable(str()),
    type: str('The BPMN element type, e.g. USER_TASK, SERVICE_TASK, EXCLUSIVE_GATEWAY.'),
    state: str(undefined, { enum: ['ACTIVE', 'COMPLETED', 'TERMINATED'] }),
    hasIncident: bool(),
    incidentKey: nullable(key()),
    startDate: dateTime(),
    endDate: nullable(dateTime()),
    tenantId: ref('TenantId'),
  }),
  ElementInstanceSearchQuery: searchRequest('element instances', {
    elementInstanceKey: 'key',
    processInstanceKey: 'key',
    processDefinitionKey: 'key',
    processDefinitionId: 'string',
    elementId: 'string',
    elementName: 'string',
    type: 'string',
    state: 'string',
    incidentKey: 'key',
    tenantId: 'string',
  }),
  ElementInstanceSearchResult: searchResult('ElementInstance'),
  SetVariablesRequest: obj(
    {
      variables: variables(),
      local: bool('Set them on this scope only (default false: where they are defined, else the root).'),
    },
    ['variables'],
  ),
  Variable: view({
    variableKey: key(),
    name: str(),
    value: str('The value, JSON-serialised.'),
    isTruncated: bool(),
    scopeKey: key(),
    processInstanceKey: key(),
    tenantId: ref('TenantId'),
  }),
  VariableSearchQuery: searchRequest('variables', {
    variableKey: 'key',
    name: 'string',
    scopeKey: 'key',
    processInstanceKey: 'key',
    tenantId: 'string',
  }),
  VariableSearchResult: searchResult('Variable'),

  // messages and signals
  MessageCorrelationRequest: obj(
    { name: str(), correlationKey: str(), variables: variables(), tenantId: ref('TenantId') },
    ['name'],
  ),
  MessageCorrelationResult: view({
    messageKey: key(),
    tenantId: ref('TenantId'),
    processInstanceKey: key(),
  }),
  MessagePublicationRequest: obj(
    {
      name: str(),
      correlationKey: str(),
      variables: variables(),
      timeToLive: int('How long the message is buffered, in ms (default 0).', {
        minimum: 0,
        maximum: 365 * 24 * 3600 * 1000,
      }),
      messageId: str('A unique id: a second message with it is rejected while the first is buffered.'),
      tenantId: ref('TenantId'),
    },
    ['name'],
  ),
  MessagePublicationResult: view({ messageKey: key(), tenantId: ref('TenantId') }),
  SignalBroadcastRequest: obj({ signalName: str(), variables: variables(), tenantId: ref('TenantId') }, [
    'signalName',
  ]),
  SignalBroadcastResult: view({ signalKey: key(), tenantId: ref('TenantId') }),

  // documents
  DocumentUploadRequest: obj(
    {
      file: { type: 'string', contentMediaType: 'application/octet-stream', description: 'The file.' },
      userTaskKey: key('Link the document to this user task (its tenant).'),
      processInstanceKey: key('Link the document to this process instance (its tenant).'),
      tenantId: ref('TenantId'),
      metadata: str(
        'JSON object `{ fileName, expiresAt }`: a file name to use instead of the part’s, and when the document expires (ISO 8601).',
      ),
    },
    ['file'],
  ),
  DocumentReference: view({
    'camunda.document.type': str(undefined, { enum: ['camunda'] }),
    storeId: str(),
    documentId: str(),
    contentHash: str('Hash of the content.'),
    metadata: view({
      contentType: str('The type sniffed from the content.'),
      fileName: str(),
      size: int('Bytes.'),
      expiresAt: nullable(dateTime()),
      processDefinitionId: nullable(str()),
      processInstanceKey: nullable(key()),
      userTaskKey: nullable(key()),
      customProperties: { type: 'object', additionalProperties: true },
    }),
  }),

  // notifications and webhooks
  Notification: view({
    notificationKey: key(),
    tenantId: ref('TenantId'),
    recipient: str('The username.'),
    event: str(undefined, { enum: [...NOTIFICATION_EVENTS] }),
    title: str(),
    body: str(),
    data: { type: 'object', additionalProperties: true },
    processInstanceKey: nullable(key()),
    userTaskKey: nullable(key()),
    createdAt: dateTime(),
    readAt: nullable(dateTime()),
  }),
  NotificationSearchQuery: searchRequest('the caller’s notifications (newest first)', {
    notificationKey: 'key',
    event: 'string',
    processInstanceKey: 'key',
    userTaskKey: 'key',
    createdAt: 'date',
    tenantId: 'string',
    read: 'boolean',
  }),
  NotificationSearchResult: searchResult('Notification'),
  UnreadCount: view({ count: int() }),
  NotificationTemplate: view({
    tenantId: ref('TenantId'),
    event: str(undefined, { enum: [...NOTIFICATION_EVENTS] }),
    channel: str(undefined, { enum: [...CHANNELS] }),
    locale: str(undefined, { enum: [...LOCALES] }),
    subject: str(),
    body: str(),
    custom: bool('Whether the tenant overrides the built-in text.'),
  }),
  NotificationTemplateSearchQuery: obj({
    tenantId: ref('TenantId'),
  }),
  NotificationTemplateList: view({
    items: arr(ref('NotificationTemplate')),
    page: view({ totalItems: int() }),
  }),
  NotificationTemplatePreviewRequest: obj(
    {
      event: str(undefined, { enum: [...NOTIFICATION_EVENTS] }),
      channel: str(undefined, { enum: [...CHANNELS] }),
      locale: str(undefined, { enum: [...LOCALES] }),
      subject: str(),
      body: str(),
      variables: variables('Values for the fields; default: sample values for the event.'),
    },
    ['event', 'channel', 'locale'],
  ),
  NotificationTemplatePreview: view({
    subject: str('Rendered, HTML-escaped.'),
    body: str('Rendered, HTML-escaped.'),
    variables: variables('The values used.'),
  }),
  NotificationTemplateRequest: obj(
    {
      subject: str('At most 500 characters; `{{field}}` placeholders.', { maxLength: 500 }),
      body: str('At most 20000 characters; `{{field}}` placeholders.', { maxLength: 20000 }),
      tenantId: ref('TenantId'),
    },
    ['subject', 'body'],
  ),
  Webhook: view({
    webhookKey: key(),
    tenantId: ref('TenantId'),
    name: str(),
    url: str(undefined, { format: 'uri' }),
    events: arr(str('An event, or `*` for all.')),
    locale: str('The language of the texts it is sent (its WEBHOOK templates).', { enum: ['zh-CN', 'en'] }),
    enabled: bool(),
    createdAt: dateTime(),
  }),
  WebhookCreated: {
    allOf: [
      ref('Webhook'),
      obj({ secret: str('Shown only here: the key of the X-Lifeflow-Signature HMAC on deliveries.') }, [
        'secret',
      ]),
    ],
  },
  WebhookCreateRequest: obj(
    {
      name: str(),
      url: str('Its host must be allowed (HTTP_ALLOWED_HOSTS).', { format: 'uri' }),
      events: arr(str(undefined, { enum: ['*', ...NOTIFICATION_EVENTS] }), 'Default: all (`*`).'),
      locale: str('The language of its texts. Default: zh-CN.', { enum: ['zh-CN', 'en'] }),
      tenantId: ref('TenantId'),
    },
    ['name', 'url'],
  ),
  WebhookUpdateRequest: obj({
    name: str(),
    url: str(undefined, { format: 'uri' }),
    events: arr(str(undefined, { enum: ['*', ...NOTIFICATION_EVENTS] })),
    locale: str(undefined, { enum: ['zh-CN', 'en'] }),
    enabled: bool(),
  }),
  WebhookSearchQuery: searchRequest('webhooks', { name: 'string', enabled: 'boolean', tenantId: 'string' }),
  WebhookSearchResult: searchResult('Webhook'),
  WebhookDelivery: view({
    deliveryKey: key(),
    event: str(),
    state: str(undefined, { enum: ['PENDING', 'SENT', 'FAILED'] }),
    attempts: int(),
    lastStatus: nullable(int('HTTP status of the last attempt.')),
    lastError: nullable(str()),
    nextAttemptAt: nullable(dateTime()),
    sentAt: nullable(dateTime()),
    createdAt: dateTime(),
    payload: { type: 'object', additionalProperties: true },
  }),
  WebhookDeliverySearchQuery: searchRequest('deliveries (newest first)', {
    state: 'string',
    event: 'string',
  }),
  WebhookDeliverySearchResult: searchResult('WebhookDelivery'),

  // system
  Topology: view({
    brokers: arr(
      view({
        nodeId: int(),
        host: str(),
        port: int(),
        partitions: arr(view({ partitionId: int(), role: str(), health: str() })),
        version: str(),
      }),
    ),
    clusterSize: int(),
    partitionsCount: int(),
    replicationFactor: int(),
    gatewayVersion: str(),
    lastCompletedChangeId: str(),
  }),
  Health: obj({ status: str(undefined, { enum: ['UP', 'DOWN'] }), reason: str('Why it is down.') }, [
    'status',
  ]),
};

// ---- responses and operations -------------------------------------------------------------------

const ERROR_TEXT: Record<number, string> = {
  400: 'The request is not valid (`errors` names each invalid field).',
  401: 'No valid credentials.',
  403: 'Not allowed for this user (or a cookie write without X-CSRF-Token).',
  404: 'Not found (or not visible to this user).',
  409: 'Conflicts with the current state.',
  413: 'The request body is too large.',
  415: 'The request body is not JSON (send Content-Type: application/json).',
  429: 'Too many attempts; see Retry-After.',
  500: 'An unexpected error; it was logged with the request id.',
  503: 'The database is not reachable.',
};

const responses: Record<string, Schema> = Object.fromEntries(
  Object.entries(ERROR_TEXT).map(([status, description]) => [
    `Problem${status}`,
    {
      description,
      headers: { 'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' } },
      content: { 'application/problem+json': { schema: ref('ProblemDetail') } },
    },
  ]),
);

type Security = 'public' | 'read' | 'write';

interface Operation {
  tag: string;
  summary: string;
  description?: string;
  /** Request body: a component schema name (JSON), or `multipart:<name>`. */
  body?: string;
  /** Whether a JSON body must be sent (default: when its schema has required fields). */
  bodyRequired?: boolean;
  /** Success status and body: a schema name, `null` (no body), or a literal content map. */
  ok: { status: number; schema?: string | null; content?: Record<string, Schema>; description?: string };
  errors?: number[];
  security?: Security;
  /** Descriptions of path parameters; key parameters default to a Key schema. */
  params?: Record<string, string>;
  /** Optional query parameters (strings) and their descriptions. */
  query?: Record<string, string>;
  extraResponses?: Record<string, Schema>;
}

const ops: Array<[Method, string, Operation]> = [];
const op = (method: Method, path: string, o: Operation) => ops.push([method, path, o]);

const KEYED = [400, 404];

// ---- documentation and health

op('get', '/healthz', {
  tag: 'System',
  summary: 'Health check',
  description: 'UP when the database answers. No authentication.',
  security: 'public',
  ok: { status: 200, schema: 'Health' },
  extraResponses: {
    '503': {
      description: 'The database is not reachable.',
      content: { 'application/json': { schema: ref('Health') } },
    },
  },
});
op('get', '/v2/openapi.json', {
  tag: 'System',
  summary: 'This OpenAPI document',
  security: 'public',
  ok: {
    status: 200,
    description: 'The OpenAPI 3.1 document.',
    content: { 'application/json': { schema: { type: 'object' } } },
  },
});
op('get', '/v2/docs', {
  tag: 'System',
  summary: 'A readable reference of this API (HTML)',
  security: 'public',
  ok: { status: 200, description: 'An HTML page.', content: { 'text/html': { schema: { type: 'string' } } } },
});
op('get', '/v2/topology', {
  tag: 'System',
  summary: 'Cluster topology (one node, in Camunda’s shape)',
  ok: { status: 200, schema: 'Topology' },
});

// ---- authentication

op('post', '/v2/auth/login', {
  tag: 'Authentication',
  summary: 'Log in (web app)',
  description:
    'Checks the password and starts a cookie session: sets the HttpOnly, SameSite=Strict cookie `lifeflow_session` and returns the CSRF token to send as `X-CSRF-Token` on every write made with the cookie. JSON only; failed attempts are rate limited.',
  security: 'public',
  body: 'LoginRequest',
  ok: { status: 200, schema: 'CurrentUser' },
  errors: [400, 401, 413, 415, 429],
});
op('post', '/v2/auth/logout', {
  tag: 'Authentication',
  summary: 'Log out: end the cookie session',
  security: 'write',
  ok: { status: 204, schema: null },
});
op('get', '/v2/authentication/me', {
  tag: 'Authentication',
  summary: 'The current user',
  ok: { status: 200, schema: 'CurrentUser' },
});
op('put', '/v2/authentication/me/preferences', {
  tag: 'Authentication',
  summary: 'Change the current user’s preferences (language of the web app and of notifications)',
  body: 'UserPreferences',
  ok: { status: 200, schema: 'UserPreferences' },
  errors: [400],
});
op('post', '/v2/auth/tokens', {
  tag: 'Authentication',
  summary: 'Create an API token',
  description: 'The token is shown once; send it as `Authorization: Bearer <token>`.',
  body: 'ApiTokenRequest',
  ok: { status: 201, schema: 'ApiTokenCreated' },
  errors: [400],
});
op('get', '/v2/auth/tokens', {
  tag: 'Authentication',
  summary: 'The current user’s API tokens',
  ok: { status: 200, schema: 'ApiTokenList' },
});
op('delete', '/v2/auth/tokens/{key}', {
  tag: 'Authentication',
  summary: 'Revoke an API token',
  params: { key: 'The tokenKey.' },
  ok: { status: 204, schema: null },
  errors: KEYED,
});

// ---- identity

const searchOp = (tag: string, path: string, what: string, query: string, result: string, errors = [400]) =>
  op('post', path, {
    tag,
    summary: `Search ${what}`,
    body: query,
    bodyRequired: false,
    ok: { status: 200, schema: result },
    errors,
  });

searchOp(
  'Users',
  '/v2/users/search',
  'users (of the caller’s tenants)',
  'UserSearchQuery',
  'UserSearchResult',
);
op('post', '/v2/users', {
  tag: 'Users',
  summary: 'Create a user (administrators)',
  body: 'UserCreateRequest',
  ok: { status: 201, schema: 'User' },
  errors: [400, 403, 409],
});
op('get', '/v2/users/{username}', {
  tag: 'Users',
  summary: 'Get a user',
  ok: { status: 200, schema: 'User' },
  errors: [404],
});
op('put', '/v2/users/{username}', {
  tag: 'Users',
  summary: 'Change a user (administrators), or yourself (name, email, password with currentPassword)',
  body: 'UserUpdateRequest',
  ok: { status: 200, schema: 'User' },
  errors: [400, 403, 404],
});
op('delete', '/v2/users/{username}', {
  tag: 'Users',
  summary: 'Delete a user (administrators)',
  ok: { status: 204, schema: null },
  errors: [403, 404, 409],
});

searchOp('Groups', '/v2/groups/search', 'groups', 'GroupSearchQuery', 'GroupSearchResult');
op('post', '/v2/groups', {
  tag: 'Groups',
  summary: 'Create a group (administrators)',
  body: 'GroupCreateRequest',
  ok: { status: 201, schema: 'Group' },
  errors: [400, 403, 409],
});
op('get', '/v2/groups/{groupId}', {
  tag: 'Groups',
  summary: 'Get a group',
  ok: { status: 200, schema: 'Group' },
  errors: [404],
});
op('put', '/v2/groups/{groupId}', {
  tag: 'Groups',
  summary: 'Change a group (administrators)',
  body: 'GroupUpdateRequest',
  ok: { status: 200, schema: 'Group' },
  errors: [400, 403, 404],
});
op('delete', '/v2/groups/{groupId}', {
  tag: 'Groups',
  summary: 'Delete a group (administrators)',
  ok: { status: 204, schema: null },
  errors: [403, 404, 409],
});
op('put', '/v2/groups/{groupId}/users/{username}', {
  tag: 'Groups',
  summary: 'Add a user to a group',
  ok: { status: 204, schema: null },
  errors: [403, 404],
});
op('delete', '/v2/groups/{groupId}/users/{username}', {
  tag: 'Groups',
  summary: 'Remove a user from a group',
  ok: { status: 204, schema: null },
  errors: [403, 404, 409],
});
searchOp(
  'Groups',
  '/v2/groups/{groupId}/users/search',
  'the users of a group',
  'UserSearchQuery',
  'UserSearchResult',
  [400, 404],
);

searchOp('Roles', '/v2/roles/search', 'roles', 'RoleSearchQuery', 'RoleSearchResult');
op('post', '/v2/roles', {
  tag: 'Roles',
  summary: 'Create a custom role in a tenant (administrators)',
  body: 'RoleCreateRequest',
  ok: { status: 201, schema: 'Role' },
  errors: [400, 403, 409],
});
op('get', '/v2/roles/{roleId}', {
  tag: 'Roles',
  summary: 'Get a role',
  ok: { status: 200, schema: 'Role' },
  errors: [404],
});
op('put', '/v2/roles/{roleId}', {
  tag: 'Roles',
  summary: 'Change a custom role',
  body: 'RoleUpdateRequest',
  ok: { status: 200, schema: 'Role' },
  errors: [400, 403, 404, 409],
});
op('delete', '/v2/roles/{roleId}', {
  tag: 'Roles',
  summary: 'Delete a custom role',
  ok: { status: 204, schema: null },
  errors: [403, 404, 409],
});

searchOp('Tenants', '/v2/tenants/search', 'the caller’s tenants', 'TenantSearchQuery', 'TenantSearchResult');
op('post', '/v2/tenants', {
  tag: 'Tenants',
  summary: 'Create a tenant (its creator becomes a member)',
  body: 'TenantCreateRequest',
  ok: { status: 201, schema: 'Tenant' },
  errors: [400, 403, 409],
});
op('get', '/v2/tenants/{tenantId}', {
  tag: 'Tenants',
  summary: 'Get a tenant',
  ok: { status: 200, schema: 'Tenant' },
  errors: [404],
});
op('put', '/v2/tenants/{tenantId}', {
  tag: 'Tenants',
  summary: 'Change a tenant',
  body: 'TenantUpdateRequest',
  ok: { status: 200, schema: 'Tenant' },
  errors: [400, 403, 404],
});
op('delete', '/v2/tenants/{tenantId}', {
  tag: 'Tenants',
  summary: 'Delete an empty tenant',
  ok: { status: 204, schema: null },
  errors: [403, 404, 409],
});

for (const [tag, container, param] of [
  ['Roles', 'roles', 'roleId'],
  ['Tenants', 'tenants', 'tenantId'],
] as const) {
  const what = tag === 'Roles' ? 'role' : 'tenant';
  for (const member of ['users', 'groups'] as const) {
    const memberWhat = member === 'users' ? 'user (username)' : 'group (groupId)';
    const base = `/v2/${container}/{${param}}/${member}`;
    op('put', `${base}/{memberId}`, {
      tag,
      summary: `Add a ${memberWhat} to a ${what}`,
      params: { memberId: member === 'users' ? 'The username.' : 'The groupId.' },
      ok: { status: 204, schema: null },
      errors: [403, 404],
    });
    op('delete', `${base}/{memberId}`, {
      tag,
      summary: `Remove a ${memberWhat} from a ${what}`,
      params: { memberId: member === 'users' ? 'The username.' : 'The groupId.' },
      ok: { status: 204, schema: null },
      errors: [403, 404, 409],
    });
    searchOp(
      tag,
      `${base}/search`,
      `the ${member} of a ${what}`,
      member === 'users' ? 'UserSearchQuery' : 'GroupSearchQuery',
      member === 'users' ? 'UserSearchResult' : 'GroupSearchResult',
      [400, 404],
    );
  }
}

searchOp(
  'Authorizations',
  '/v2/authorizations/search',
  'authorizations (administrators)',
  'AuthorizationSearchQuery',
  'AuthorizationSearchResult',
  [400, 403],
);
op('post', '/v2/authorizations', {
  tag: 'Authorizations',
  summary: 'Create an authorization (administrators)',
  body: 'AuthorizationRequest',
  ok: { status: 201, schema: 'AuthorizationCreated' },
  errors: [400, 403, 404],
});
op('get', '/v2/authorizations/{authorizationKey}', {
  tag: 'Authorizations',
  summary: 'Get an authorization',
  ok: { status: 200, schema: 'Authorization' },
  errors: [400, 403, 404],
});
op('put', '/v2/authorizations/{authorizationKey}', {
  tag: 'Authorizations',
  summary: 'Replace an authorization',
  body: 'AuthorizationRequest',
  ok: { status: 204, schema: null },
  errors: [400, 403, 404],
});
op('delete', '/v2/authorizations/{authorizationKey}', {
  tag: 'Authorizations',
  summary: 'Delete an authorization',
  ok: { status: 204, schema: null },
  errors: [400, 403, 404],
});

// ---- deployments and process definitions

op('post', '/v2/deployments', {
  tag: 'Deployments',
  summary: 'Deploy BPMN processes, forms and rule sets',
  description:
    'multipart/form-data with one or more `resources` parts and an optional `tenantId`. Each id gets a new version when its content changed.',
  body: 'multipart:DeploymentRequest',
  ok: { status: 200, schema: 'DeploymentResult' },
  errors: [400, 403],
});
searchOp(
  'Process definitions',
  '/v2/process-definitions/search',
  'process definitions',
  'ProcessDefinitionSearchQuery',
  'ProcessDefinitionSearchResult',
);
op('post', '/v2/process-definitions/statistics', {
  tag: 'Process definitions',
  summary: 'Every version with who deployed it and its instances by state (the designer’s process list)',
  body: 'ProcessDefinitionStatisticsQuery',
  bodyRequired: false,
  ok: { status: 200, schema: 'ProcessDefinitionStatisticsList' },
  errors: [400],
});
op('get', '/v2/process-definitions/{key}', {
  tag: 'Process definitions',
  summary: 'Get a process definition',
  params: { key: 'The processDefinitionKey.' },
  ok: { status: 200, schema: 'ProcessDefinition' },
  errors: KEYED,
});
op('post', '/v2/process-definitions/{key}/statistics/element-instances', {
  tag: 'Process definitions',
  summary: 'Per element: element instances by state with average and p90 durations (the heatmap)',
  description: 'Counts the instances the caller may read.',
  params: { key: 'The processDefinitionKey.' },
  body: 'ElementStatisticsQuery',
  bodyRequired: false,
  ok: { status: 200, schema: 'ElementStatisticsList' },
  errors: KEYED,
});
op('post', '/v2/process-definitions/{key}/statistics/daily', {
  tag: 'Process definitions',
  summary: 'Instances started and completed per day (every day of the range, zero-filled)',
  description: 'At most 366 days; counts the instances the caller may read.',
  params: { key: 'The processDefinitionKey.' },
  body: 'DailyStatisticsQuery',
  bodyRequired: false,
  ok: { status: 200, schema: 'DailyStatisticsList' },
  errors: KEYED,
});
op('get', '/v2/process-definitions/{key}/xml', {
  tag: 'Process definitions',
  summary: 'The BPMN XML of a process definition',
  params: { key: 'The processDefinitionKey.' },
  ok: { status: 200, description: 'The BPMN XML.', content: { 'text/xml': { schema: { type: 'string' } } } },
  errors: KEYED,
});

// ---- modules

const moduleParams = { moduleId: 'The module id.' };
const tenantQuery = { tenantId: 'The tenant (default: the caller’s only or default tenant).' };
op('post', '/v2/modules', {
  tag: 'Modules',
  summary: 'Import a module file as the group standard (administrators of the tenant <default>)',
  description:
    'Every resource is checked as a deployment would be. Importing the same file again answers 200; other content under an existing version is 409. Up to 32 MB.',
  body: 'ModuleFile',
  ok: { status: 201, schema: 'ModuleImported' },
  errors: [400, 403, 409, 413],
});
searchOp(
  'Modules',
  '/v2/modules/search',
  'modules, with what the tenant uses of each',
  'ModuleSearchQuery',
  'ModuleSearchResult',
  [400, 403],
);
op('get', '/v2/modules/{moduleId}', {
  tag: 'Modules',
  summary: 'A module: resources, templates, dashboards, the tenant’s version, settings and overrides',
  params: moduleParams,
  query: tenantQuery,
  ok: { status: 200, schema: 'ModuleDetail' },
  errors: [400, 403, 404],
});
op('get', '/v2/modules/{moduleId}/versions/{version}/file', {
  tag: 'Modules',
  summary: 'Export a module version as one file (`<id>-<version>.lfmodule.json`)',
  params: { ...moduleParams, version: 'major.minor.patch' },
  ok: { status: 200, schema: 'ModuleFile' },
  errors: [400, 403, 404],
});
op('post', '/v2/modules/{moduleId}/enablement', {
  tag: 'Modules',
  summary:
    'Enable a module version in a tenant, or upgrade to one: deploys its resources (the tenant’s overrides instead of the standard’s)',
  params: moduleParams,
  body: 'ModuleEnablementRequest',
  bodyRequired: false,
  ok: { status: 200, schema: 'ModuleDeployed' },
  errors: [400, 403, 404],
});
op('delete', '/v2/modules/{moduleId}/enablement', {
  tag: 'Modules',
  summary: 'Disable a module in a tenant (definitions and running instances stay)',
  params: moduleParams,
  query: tenantQuery,
  ok: { status: 204, schema: null },
  errors: [400, 403, 404],
});
op('post', '/v2/modules/{moduleId}/upgrade-preview', {
  tag: 'Modules',
  summary:
    'What enabling a version would change, resource by resource, with the running instances of each changed process',
  params: moduleParams,
  body: 'ModuleUpgradePreviewRequest',
  ok: { status: 200, schema: 'ModuleUpgradePreview' },
  errors: [400, 403, 404],
});
op('get', '/v2/modules/{moduleId}/resources/{resourceName}', {
  tag: 'Modules',
  summary:
    'A module resource as the tenant runs it: the standard, the tenant’s override and what it was made from',
  params: { ...moduleParams, resourceName: 'The resource’s file name.' },
  query: tenantQuery,
  ok: { status: 200, schema: 'ModuleResource' },
  errors: [400, 403, 404],
});
op('put', '/v2/modules/{moduleId}/resources/{resourceName}/override', {
  tag: 'Modules',
  summary:
    'Store and deploy the tenant’s own version of a module resource (it must define the same process, form or rule set)',
  params: { ...moduleParams, resourceName: 'The resource’s file name.' },
  body: 'ModuleOverrideRequest',
  ok: { status: 200, schema: 'ModuleDeployed' },
  errors: [400, 403, 404, 409],
});
op('delete', '/v2/modules/{moduleId}/resources/{resourceName}/override', {
  tag: 'Modules',
  summary: 'Drop the tenant’s override: the standard is deployed again',
  params: { ...moduleParams, resourceName: 'The resource’s file name.' },
  query: tenantQuery,
  ok: { status: 200, schema: 'ModuleDeployed' },
  errors: [400, 403, 404, 409],
});

// ---- design lessons

searchOp(
  'Design lessons',
  '/v2/design-lessons/search',
  'the design lessons library (closed operations problems and their lessons)',
  'DesignLessonSearchQuery',
  'DesignLessonSearchResult',
);
op('get', '/v2/design-lessons/{key}', {
  tag: 'Design lessons',
  summary: 'One design lesson',
  params: { key: 'The lessonKey.' },
  ok: { status: 200, schema: 'DesignLesson' },
  errors: KEYED,
});

// ---- assets

op('post', '/v2/assets', {
  tag: 'Assets',
  summary: 'Create an asset (administrators and process owners)',
  body: 'AssetRequest',
  ok: { status: 201, schema: 'Asset' },
  errors: [400, 403, 409],
});
searchOp('Assets', '/v2/assets/search', 'assets', 'AssetSearchQuery', 'AssetSearchResult');
op('get', '/v2/assets/{key}', {
  tag: 'Assets',
  summary: 'Get an asset',
  params: { key: 'The assetKey.' },
  ok: { status: 200, schema: 'Asset' },
  errors: KEYED,
});
op('patch', '/v2/assets/{key}', {
  tag: 'Assets',
  summary: 'Change an asset (administrators and process owners)',
  params: { key: 'The assetKey.' },
  body: 'AssetRequest',
  ok: { status: 200, schema: 'Asset' },
  errors: [400, 403, 404, 409],
});
op('delete', '/v2/assets/{key}', {
  tag: 'Assets',
  summary: 'Delete an asset (administrators and process owners)',
  params: { key: 'The assetKey.' },
  ok: { status: 204, schema: null },
  errors: [400, 403, 404],
});
op('get', '/v2/assets/{key}/overview', {
  tag: 'Assets',
  summary: 'An asset’s whole story: its instances, open problems, handover documents and its project’s KPIs',
  params: { key: 'The assetKey.' },
  ok: { status: 200, schema: 'AssetOverview' },
  errors: KEYED,
});

// ---- dashboards

op('get', '/v2/dashboards', {
  tag: 'Dashboards',
  summary: 'The dashboards of the modules the tenant has enabled',
  query: { tenantId: 'The tenant (default: the caller’s only or default tenant).' },
  ok: { status: 200, schema: 'DashboardList' },
  errors: [400, 403],
});
op('get', '/v2/dashboards/{dashboardId}/data', {
  tag: 'Dashboards',
  summary: 'A dashboard’s data for a range: JSON, or a CSV (UTF-8 with BOM) or Excel (.xlsx) file',
  params: { dashboardId: 'The dashboard id.' },
  query: {
    from: 'Start (ISO 8601; default a year before to).',
    to: 'End (ISO 8601; default now).',
    timeZone: 'IANA zone the months are counted in (default the server’s, Asia/Shanghai).',
    format: 'json (default), csv or xlsx.',
    lang: 'Language of the column names in files: zh-CN (default) or en.',
    tenantId: 'The tenant (default: the caller’s only or default tenant).',
  },
  ok: { status: 200, schema: 'DashboardData' },
  errors: [400, 403, 404],
});

// ---- forms and rule sets

searchOp(
  'Forms',
  '/v2/forms/search',
  'deployed forms (every version)',
  'FormSearchQuery',
  'FormSearchResult',
);
op('get', '/v2/forms/{key}', {
  tag: 'Forms',
  summary: 'Get a deployed form with its schema',
  params: { key: 'The formKey.' },
  ok: { status: 200, schema: 'FormWithSchema' },
  errors: KEYED,
});
searchOp(
  'Rule sets',
  '/v2/rule-sets/search',
  'deployed rule sets (administrators and process owners)',
  'RuleSetSearchQuery',
  'RuleSetSearchResult',
);
op('get', '/v2/rule-sets/{key}', {
  tag: 'Rule sets',
  summary: 'Get a deployed rule set with its rules',
  params: { key: 'The ruleSetKey.' },
  ok: { status: 200, schema: 'RuleSetWithContent' },
  errors: [400, 403, 404],
});
op('post', '/v2/rule-sets/evaluation', {
  tag: 'Rule sets',
  summary: 'Run a rule set (a draft or a deployed version) on sample variables',
  body: 'RuleSetEvaluationRequest',
  ok: { status: 200, schema: 'RuleSetEvaluationResult' },
  errors: [400, 403, 404],
});

// ---- process instances

op('post', '/v2/process-instances', {
  tag: 'Process instances',
  summary: 'Start a process instance',
  body: 'ProcessInstanceCreateRequest',
  bodyRequired: true,
  ok: { status: 200, schema: 'ProcessInstanceCreated' },
  errors: [400, 403, 404],
});
searchOp(
  'Process instances',
  '/v2/process-instances/search',
  'process instances',
  'ProcessInstanceSearchQuery',
  'ProcessInstanceSearchResult',
);
op('get', '/v2/process-instances/{key}', {
  tag: 'Process instances',
  summary: 'Get a process instance',
  params: { key: 'The processInstanceKey.' },
  ok: { status: 200, schema: 'ProcessInstance' },
  errors: KEYED,
});
op('post', '/v2/process-instances/{key}/modification', {
  tag: 'Process instances',
  summary: 'Modify a process instance: activate and terminate elements (move a token)',
  description:
    'All instructions are checked before anything changes. Activating inside a sub-process needs an active instance of it. Terminating the last element without activating another is refused: cancel the instance instead. Recorded in the history as instance.modified with who did it.',
  params: { key: 'The processInstanceKey.' },
  body: 'ProcessInstanceModification',
  ok: { status: 204, schema: null },
  errors: [400, 403, 404, 409],
});
op('post', '/v2/process-instances/{key}/cancellation', {
  tag: 'Process instances',
  summary: 'Cancel a process instance (with the instances it called and its callers)',
  params: { key: 'The processInstanceKey.' },
  ok: { status: 204, schema: null },
  errors: [400, 403, 404, 409],
});
op('post', '/v2/process-instances/{key}/cc', {
  tag: 'Process instances',
  summary: '抄送: tell users and groups of the tenant about the instance; they may then read it',
  params: { key: 'The processInstanceKey.' },
  body: 'InstanceCarbonCopyRequest',
  ok: { status: 200, schema: 'NotifiedResponse' },
  errors: [400, 403, 404],
});
op('post', '/v2/process-instances/{key}/urge', {
  tag: 'Process instances',
  summary: '催办: remind whoever holds the open tasks (the initiator or a manager; once per 10 minutes)',
  params: { key: 'The processInstanceKey.' },
  body: 'InstanceCommentRequest',
  ok: { status: 200, schema: 'NotifiedResponse' },
  errors: [400, 403, 404, 409, 429],
});
op('post', '/v2/process-instances/{key}/withdrawal', {
  tag: 'Process instances',
  summary: '撤回: the initiator withdraws the request while nobody else has acted on it',
  params: { key: 'The processInstanceKey.' },
  body: 'InstanceCommentRequest',
  ok: { status: 204, schema: null },
  errors: [400, 403, 404, 409],
});
op('get', '/v2/process-instances/{key}/record', {
  tag: 'Process instances',
  summary: 'The printable approval record (审批单) of a process instance, as an HTML page (Lifeflow)',
  description:
    "Self-contained, print-friendly HTML: process, business key, status, initiator, start and end; the timeline in words (同意, 驳回, 转办, 退回, 委派, 加签, 撤回, 抄送, 催办 …) with who and their comments; the decisions of each approval node; the form data each task submitted. No scripts; served inline under `Content-Security-Policy: default-src 'none'; style-src 'sha256-…'; …; sandbox`. Only for those who may read the instance (anyone else: 404).",
  params: { key: 'The processInstanceKey.' },
  query: {
    lang: '`zh-CN` (default) or `en`.',
    timeZone: 'IANA time zone of the dates shown (default: the server’s TIME_ZONE, Asia/Shanghai).',
  },
  ok: { status: 200, description: 'An HTML page.', content: { 'text/html': { schema: { type: 'string' } } } },
  errors: KEYED,
});
op('get', '/v2/process-instances/{key}/record.pdf', {
  tag: 'Process instances',
  summary: 'The approval record (审批单) of a process instance as a PDF (Lifeflow)',
  description:
    'The same record as an A4 PDF with the Chinese font embedded (only the glyphs used), as an attachment. Only for those who may read the instance (anyone else: 404).',
  params: { key: 'The processInstanceKey.' },
  query: { lang: '`zh-CN` (default) or `en`.', timeZone: 'IANA time zone of the dates shown.' },
  ok: {
    status: 200,
    description: 'A PDF document.',
    content: { 'application/pdf': { schema: { type: 'string', contentMediaType: 'application/pdf' } } },
  },
  errors: KEYED,
});
op('get', '/v2/process-instances/{key}/history', {
  tag: 'Process instances',
  summary: 'The audit trail of a process instance, oldest first, or its approval timeline (Lifeflow)',
  params: { key: 'The processInstanceKey.' },
  query: {
    view: '`events` (default): every engine event; `timeline`: the approval timeline (who, action, comment, field-level changes of each submission, attachments, on behalf of whom).',
  },
  ok: { status: 200, schema: 'InstanceHistory' },
  errors: KEYED,
});

// ---- user tasks

searchOp(
  'User tasks',
  '/v2/user-tasks/search',
  'user tasks (those the caller may see)',
  'UserTaskSearchQuery',
  'UserTaskSearchResult',
);
op('get', '/v2/user-tasks/{key}', {
  tag: 'User tasks',
  summary: 'Get a user task',
  params: { key: 'The userTaskKey.' },
  ok: { status: 200, schema: 'UserTask' },
  errors: KEYED,
});
op('get', '/v2/user-tasks/{key}/form', {
  tag: 'User tasks',
  summary: 'The form of a user task',
  params: { key: 'The userTaskKey.' },
  ok: { status: 200, schema: 'UserTaskForm' },
  errors: KEYED,
  extraResponses: { '204': { description: 'The user task has no form.' } },
});
op('post', '/v2/user-tasks/{key}/assignment', {
  tag: 'User tasks',
  summary: 'Assign (or claim) a user task',
  params: { key: 'The userTaskKey.' },
  body: 'UserTaskAssignmentRequest',
  ok: { status: 204, schema: null },
  errors: [400, 403, 404, 409],
});
op('delete', '/v2/user-tasks/{key}/assignee', {
  tag: 'User tasks',
  summary: 'Unassign a user task',
  params: { key: 'The userTaskKey.' },
  ok: { status: 204, schema: null },
  errors: [400, 403, 404, 409],
});
op('post', '/v2/user-tasks/{key}/completion', {
  tag: 'User tasks',
  summary: 'Complete a user task (its assignee), with the form’s variables',
  params: { key: 'The userTaskKey.' },
  body: 'UserTaskCompletionRequest',
  ok: { status: 204, schema: null },
  errors: [400, 403, 404, 409],
});
op('post', '/v2/user-tasks/{key}/transfer', {
  tag: 'User tasks',
  summary: '转办: the assignee hands the task to another user of the tenant',
  params: { key: 'The userTaskKey.' },
  body: 'UserTaskTransferRequest',
  ok: { status: 204, schema: null },
  errors: [400, 403, 404, 409],
});
op('post', '/v2/departments/search', {
  tag: 'Departments',
  summary: 'The departments (组织架构) of your tenants',
  body: 'DepartmentSearchQuery',
  ok: { status: 200, schema: 'DepartmentSearchResult' },
  errors: [400],
});
op('post', '/v2/departments', {
  tag: 'Departments',
  summary: 'Create a department (administrators)',
  body: 'DepartmentRequest',
  ok: { status: 201, schema: 'Department' },
  errors: [400, 403, 409],
});
op('get', '/v2/departments/{key}', {
  tag: 'Departments',
  summary: 'Get a department',
  params: { key: 'The departmentKey.' },
  ok: { status: 200, schema: 'Department' },
  errors: [400, 404],
});
op('put', '/v2/departments/{key}', {
  tag: 'Departments',
  summary: 'Rename a department, move it, or change its head (administrators)',
  params: { key: 'The departmentKey.' },
  body: 'DepartmentUpdateRequest',
  ok: { status: 200, schema: 'Department' },
  errors: [400, 403, 404],
});
op('delete', '/v2/departments/{key}', {
  tag: 'Departments',
  summary: 'Delete a department with no departments below it (administrators)',
  params: { key: 'The departmentKey.' },
  ok: { status: 204, schema: null },
  errors: [400, 403, 404, 409],
});
op('put', '/v2/departments/{key}/users/{username}', {
  tag: 'Departments',
  summary: 'Add a user of the tenant to the department (administrators)',
  params: { key: 'The departmentKey.', username: 'The user.' },
  ok: { status: 204, schema: null },
  errors: [400, 403, 404],
});
op('delete', '/v2/departments/{key}/users/{username}', {
  tag: 'Departments',
  summary: 'Remove a user from the department (administrators)',
  params: { key: 'The departmentKey.', username: 'The user.' },
  ok: { status: 204, schema: null },
  errors: [400, 403, 404],
});
op('post', '/v2/departments/{key}/users/search', {
  tag: 'Departments',
  summary: 'The members of a department',
  params: { key: 'The departmentKey.' },
  body: 'DepartmentUserSearchQuery',
  ok: { status: 200, schema: 'UserSearchResult' },
  errors: [400, 404],
});
op('post', '/v2/working-calendars/search', {
  tag: 'Working calendars',
  summary: 'The working calendars (工作日历) of your tenants, built-ins included',
  body: 'WorkingCalendarSearchQuery',
  bodyRequired: false,
  ok: { status: 200, schema: 'WorkingCalendarSearchResult' },
  errors: [400],
});
op('post', '/v2/working-calendars', {
  tag: 'Working calendars',
  summary: 'Create a working calendar, or override a built-in (administrators)',
  body: 'WorkingCalendarRequest',
  ok: { status: 201, schema: 'WorkingCalendar' },
  errors: [400, 403, 409],
});
op('get', '/v2/working-calendars/{calendarId}', {
  tag: 'Working calendars',
  summary: 'Get a working calendar (a tenant one, else the built-in)',
  params: { calendarId: 'The calendar id (cn-standard, natural, or a tenant calendar).' },
  query: { tenantId: 'The tenant of the calendar (default: yours, as on create).' },
  ok: { status: 200, schema: 'WorkingCalendar' },
  errors: [400, 403, 404],
});
op('put', '/v2/working-calendars/{calendarId}', {
  tag: 'Working calendars',
  summary: 'Replace a working calendar; on a built-in id, store the tenant’s override (administrators)',
  description: 'Missing fields take the defaults, as on create.',
  params: { calendarId: 'The calendar id.' },
  query: { tenantId: 'The tenant of the calendar (default: yours, as on create).' },
  body: 'WorkingCalendarDefinition',
  ok: { status: 200, schema: 'WorkingCalendar' },
  errors: [400, 403, 404],
});
op('delete', '/v2/working-calendars/{calendarId}', {
  tag: 'Working calendars',
  summary: 'Delete a tenant calendar; deleting an override restores the built-in (administrators)',
  params: { calendarId: 'The calendar id.' },
  query: { tenantId: 'The tenant of the calendar (default: yours, as on create).' },
  ok: { status: 204, schema: null },
  errors: [400, 403, 404, 409],
});
op('post', '/v2/working-calendars/{calendarId}/due-date', {
  tag: 'Working calendars',
  summary: 'When a working-time duration from a moment ends on this calendar',
  params: { calendarId: 'The calendar id.' },
  query: { tenantId: 'The tenant of the calendar (default: yours, as on create).' },
  body: 'DueDateRequest',
  ok: { status: 200, schema: 'DueDate' },
  errors: [400, 403, 404],
});
op('post', '/v2/substitutions/search', {
  tag: 'User tasks',
  summary: '代理: your out-of-office rules (administrators: everyone’s in their tenants)',
  body: 'SubstitutionSearchQuery',
  ok: { status: 200, schema: 'SubstitutionSearchResult' },
  errors: [400],
});
op('post', '/v2/substitutions', {
  tag: 'User tasks',
  summary: '代理: while you are away, new tasks assigned to you go to a substitute',
  body: 'SubstitutionRequest',
  ok: { status: 201, schema: 'Substitution' },
  errors: [400, 403],
});
op('delete', '/v2/substitutions/{key}', {
  tag: 'User tasks',
  summary: 'Delete an out-of-office rule',
  params: { key: 'The substitutionKey.' },
  ok: { status: 204, schema: null },
  errors: [400, 404],
});
op('get', '/v2/inbox/counts', {
  tag: 'User tasks',
  summary: 'Counts of the inbox tabs: 待办, overdue, 待认领, 已办, 我发起的, 抄送我的, unread notifications',
  ok: { status: 200, schema: 'InboxCounts' },
  errors: [],
});
op('post', '/v2/inbox/search', {
  tag: 'User tasks',
  summary:
    'One inbox tab (待办, 待认领, 已办, 我发起的, 抄送我的, overdue): filtered, sorted, paged, with the counts of all tabs',
  body: 'InboxSearchQuery',
  ok: { status: 200, schema: 'InboxSearchResult' },
  errors: [400],
});
op('post', '/v2/user-tasks/{key}/takeback', {
  tag: 'User tasks',
  summary: '拿回: take back a task you completed while the next step has not been acted on',
  params: { key: 'The userTaskKey of the task you completed.' },
  body: 'InstanceCommentRequest',
  ok: { status: 204, schema: null },
  errors: [400, 403, 404, 409],
});
op('post', '/v2/user-tasks/{key}/urge', {
  tag: 'User tasks',
  summary:
    '催办: remind whoever holds this open task (the initiator or a manager; once per instance per 10 minutes)',
  params: { key: 'The userTaskKey.' },
  body: 'InstanceCommentRequest',
  ok: { status: 200, schema: 'NotifiedResponse' },
  errors: [400, 403, 404, 409, 429],
});
op('post', '/v2/user-tasks/{key}/signers', {
  tag: 'User tasks',
  summary: '加签 / 减签: add signers to, or remove pending signers from, the approval of this task',
  params: { key: 'The userTaskKey.' },
  body: 'ApprovalSignersRequest',
  ok: { status: 204, schema: null },
  errors: [400, 403, 404, 409],
});
op('post', '/v2/user-tasks/{key}/delegation', {
  tag: 'User tasks',
  summary: '委派: the assignee lends the task to a delegate, who resolves it back',
  params: { key: 'The userTaskKey.' },
  body: 'UserTaskDelegationRequest',
  ok: { status: 204, schema: null },
  errors: [400, 403, 404, 409],
});
op('post', '/v2/user-tasks/{key}/resolution', {
  tag: 'User tasks',
  summary: 'The delegate resolves a delegated task back to its owner, with variables for them',
  params: { key: 'The userTaskKey.' },
  body: 'UserTaskResolutionRequest',
  ok: { status: 204, schema: null },
  errors: [400, 403, 404, 409],
});
op('post', '/v2/user-tasks/{key}/return', {
  tag: 'User tasks',
  summary: '退回: send the task back to an earlier user task on the path taken, saying why',
  params: { key: 'The userTaskKey.' },
  body: 'UserTaskReturnRequest',
  ok: { status: 204, schema: null },
  errors: [400, 403, 404, 409],
});
op('post', '/v2/user-tasks/{key}/decision', {
  tag: 'User tasks',
  summary: 'Decide an approval task (its assignee): approve, or reject with a comment',
  description:
    'Lifeflow: for user tasks of an `lf:approval` node. The node’s mode (single, all 会签, any 或签, sequential, vote 票签) then decides the node; `approved` tells the flow after it how it went.',
  params: { key: 'The userTaskKey.' },
  body: 'UserTaskDecisionRequest',
  ok: { status: 204, schema: null },
  errors: [400, 403, 404, 409],
});

// ---- documents

op('post', '/v2/documents', {
  tag: 'Documents',
  summary: 'Upload a document',
  description:
    'multipart/form-data with the file in part `file`; link it to a user task or process instance with `userTaskKey` or `processInstanceKey`, or name the `tenantId` of an unlinked one. A file over the size limit answers 413, a body that is not multipart 415.',
  body: 'multipart:DocumentUploadRequest',
  query: { storeId: 'Optional; must be the only store’s id.' },
  ok: { status: 201, schema: 'DocumentReference' },
  errors: [400, 403, 404, 413, 415],
});
op('get', '/v2/documents/{documentId}', {
  tag: 'Documents',
  summary: 'Download a document (as an attachment)',
  query: {
    storeId: 'Optional; a reference with another store finds nothing.',
    contentHash: 'Optional; a reference with another hash finds nothing.',
  },
  ok: {
    status: 200,
    description: 'The content, with its sniffed Content-Type and Content-Disposition: attachment.',
    content: { '*/*': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } },
  },
  errors: [403, 404],
});
op('delete', '/v2/documents/{documentId}', {
  tag: 'Documents',
  summary: 'Delete a document',
  ok: { status: 204, schema: null },
  errors: [403, 404],
});

// ---- notifications and webhooks

searchOp(
  'Notifications',
  '/v2/notifications/search',
  'the caller’s in-app notifications',
  'NotificationSearchQuery',
  'NotificationSearchResult',
);
op('get', '/v2/notifications/unread-count', {
  tag: 'Notifications',
  summary: 'How many of the caller’s notifications are unread',
  ok: { status: 200, schema: 'UnreadCount' },
});
op('post', '/v2/notifications/{key}/read', {
  tag: 'Notifications',
  summary: 'Mark a notification read',
  params: { key: 'The notificationKey.' },
  ok: { status: 204, schema: null },
  errors: KEYED,
});
op('post', '/v2/notifications/read-all', {
  tag: 'Notifications',
  summary: 'Mark all of the caller’s notifications read',
  ok: { status: 204, schema: null },
});
op('post', '/v2/notification-templates/search', {
  tag: 'Notifications',
  summary: 'The notification templates of a tenant: every event, channel and language',
  body: 'NotificationTemplateSearchQuery',
  bodyRequired: false,
  ok: { status: 200, schema: 'NotificationTemplateList' },
  errors: [400, 403],
});
op('post', '/v2/notification-templates/preview', {
  tag: 'Notifications',
  summary: 'Render a template that is not saved, on sample or given values',
  body: 'NotificationTemplatePreviewRequest',
  ok: { status: 200, schema: 'NotificationTemplatePreview' },
  errors: [400, 403],
});
const templateParams = {
  event: `One of ${NOTIFICATION_EVENTS.join(', ')}.`,
  channel: `One of ${CHANNELS.join(', ')}.`,
  locale: `One of ${LOCALES.join(', ')}.`,
};
op('put', '/v2/notification-templates/{event}/{channel}/{locale}', {
  tag: 'Notifications',
  summary: 'Override a notification template for a tenant (administrators)',
  params: templateParams,
  body: 'NotificationTemplateRequest',
  ok: { status: 200, schema: 'NotificationTemplate' },
  errors: [400, 403],
});
op('delete', '/v2/notification-templates/{event}/{channel}/{locale}', {
  tag: 'Notifications',
  summary: 'Go back to the built-in notification template',
  params: templateParams,
  query: { tenantId: 'The tenant (default: the caller’s only or default tenant).' },
  ok: { status: 204, schema: null },
  errors: [400, 403, 404],
});
op('post', '/v2/webhooks', {
  tag: 'Webhooks',
  summary: 'Create a webhook (administrators)',
  description: 'The answer carries the signing secret, shown only once.',
  body: 'WebhookCreateRequest',
  ok: { status: 201, schema: 'WebhookCreated' },
  errors: [400, 403],
});
searchOp(
  'Webhooks',
  '/v2/webhooks/search',
  'webhooks',
  'WebhookSearchQuery',
  'WebhookSearchResult',
  [400, 403],
);
op('get', '/v2/webhooks/{key}', {
  tag: 'Webhooks',
  summary: 'Get a webhook',
  params: { key: 'The webhookKey.' },
  ok: { status: 200, schema: 'Webhook' },
  errors: [400, 403, 404],
});
op('put', '/v2/webhooks/{key}', {
  tag: 'Webhooks',
  summary: 'Change a webhook',
  params: { key: 'The webhookKey.' },
  body: 'WebhookUpdateRequest',
  ok: { status: 200, schema: 'Webhook' },
  errors: [400, 403, 404],
});
op('delete', '/v2/webhooks/{key}', {
  tag: 'Webhooks',
  summary: 'Delete a webhook',
  params: { key: 'The webhookKey.' },
  ok: { status: 204, schema: null },
  errors: [400, 403, 404],
});
searchOp(
  'Webhooks',
  '/v2/webhooks/{key}/deliveries/search',
  'the deliveries of a webhook',
  'WebhookDeliverySearchQuery',
  'WebhookDeliverySearchResult',
  [400, 403, 404],
);

// ---- jobs

op('post', '/v2/jobs/activation', {
  tag: 'Jobs',
  summary: 'Activate jobs of a type (long polling)',
  body: 'JobActivationRequest',
  ok: { status: 200, schema: 'JobActivationResult' },
  errors: [400, 403],
});
op('post', '/v2/jobs/{key}/completion', {
  tag: 'Jobs',
  summary: 'Complete a job',
  params: { key: 'The jobKey.' },
  body: 'JobCompletionRequest',
  ok: { status: 204, schema: null },
  errors: [400, 403, 404, 409],
});
op('post', '/v2/jobs/{key}/failure', {
  tag: 'Jobs',
  summary: 'Fail a job (retry it, or raise an incident when no retries are left)',
  params: { key: 'The jobKey.' },
  body: 'JobFailRequest',
  ok: { status: 204, schema: null },
  errors: [400, 403, 404, 409],
});
op('post', '/v2/jobs/{key}/error', {
  tag: 'Jobs',
  summary: 'Throw a BPMN error from a job',
  params: { key: 'The jobKey.' },
  body: 'JobErrorRequest',
  ok: { status: 204, schema: null },
  errors: [400, 403, 404, 409],
});

// ---- incidents, element instances, variables

searchOp(
  'Jobs',
  '/v2/jobs/search',
  'jobs (of the instances the caller may read)',
  'JobSearchQuery',
  'JobSearchResult',
);
op('get', '/v2/jobs/{key}', {
  tag: 'Jobs',
  summary: 'Get a job',
  params: { key: 'The jobKey.' },
  ok: { status: 200, schema: 'Job' },
  errors: KEYED,
});
searchOp('Incidents', '/v2/incidents/search', 'incidents', 'IncidentSearchQuery', 'IncidentSearchResult');
op('get', '/v2/incidents/{key}', {
  tag: 'Incidents',
  summary: 'Get an incident',
  params: { key: 'The incidentKey.' },
  ok: { status: 200, schema: 'Incident' },
  errors: KEYED,
});
op('post', '/v2/incidents/{key}/resolution', {
  tag: 'Incidents',
  summary: 'Resolve an incident (retry what failed)',
  params: { key: 'The incidentKey.' },
  ok: { status: 204, schema: null },
  errors: [400, 403, 404, 409],
});
searchOp(
  'Element instances',
  '/v2/element-instances/search',
  'element instances',
  'ElementInstanceSearchQuery',
  'ElementInstanceSearchResult',
);
op('get', '/v2/element-instances/{key}', {
  tag: 'Element instances',
  summary: 'Get an element instance',
  params: { key: 'The elementInstanceKey.' },
  ok: { status: 200, schema: 'ElementInstance' },
  errors: KEYED,
});
op('put', '/v2/element-instances/{key}/variables', {
  tag: 'Element instances',
  summary: 'Set variables on an element instance’s scope',
  params: { key: 'The elementInstanceKey (or processInstanceKey for the root scope).' },
  body: 'SetVariablesRequest',
  ok: { status: 204, schema: null },
  errors: [400, 403, 404, 409],
});
searchOp('Variables', '/v2/variables/search', 'variables', 'VariableSearchQuery', 'VariableSearchResult');
op('get', '/v2/variables/{key}', {
  tag: 'Variables',
  summary: 'Get a variable',
  params: { key: 'The variableKey.' },
  ok: { status: 200, schema: 'Variable' },
  errors: KEYED,
});

// ---- messages and signals

op('post', '/v2/messages/correlation', {
  tag: 'Messages and signals',
  summary: 'Correlate a message to one waiting subscription (or start event), at once',
  body: 'MessageCorrelationRequest',
  ok: { status: 200, schema: 'MessageCorrelationResult' },
  errors: [400, 403, 404],
});
op('post', '/v2/messages/publication', {
  tag: 'Messages and signals',
  summary: 'Publish a message, buffered for timeToLive',
  body: 'MessagePublicationRequest',
  ok: { status: 200, schema: 'MessagePublicationResult' },
  errors: [400, 403, 409],
});
op('post', '/v2/signals/broadcast', {
  tag: 'Messages and signals',
  summary: 'Broadcast a signal',
  body: 'SignalBroadcastRequest',
  ok: { status: 200, schema: 'SignalBroadcastResult' },
  errors: [400, 403],
});

// ---- assembly ------------------------------------------------------------------------------------

const TAGS: Array<{ name: string; description: string }> = [
  { name: 'System', description: 'Health, topology and this documentation.' },
  {
    name: 'Authentication',
    description: 'Cookie sessions for the web app, the current user, and personal API tokens.',
  },
  { name: 'Users', description: 'Users of the caller’s tenants.' },
  { name: 'Groups', description: 'Groups and their members.' },
  { name: 'Roles', description: 'Built-in and custom roles and their members.' },
  { name: 'Tenants', description: 'Tenants and their members.' },
  { name: 'Authorizations', description: 'Who may start or read which processes.' },
  { name: 'Deployments', description: 'Deploying BPMN, forms and rule sets.' },
  { name: 'Process definitions', description: 'Deployed processes.' },
  { name: 'Forms', description: 'Deployed form-js forms, every version.' },
  {
    name: 'Dashboards',
    description: 'Lifeflow: the lifecycle dashboards of the enabled modules, with CSV and Excel export.',
  },
  {
    name: 'Assets',
    description:
      'Lifeflow: the assets of projects (buildings, systems, equipment, location codes, BIM GUIDs).',
  },
  {
    name: 'Design lessons',
    description:
      'Lifeflow: the design lessons library (设计经验库) that closed feedback loops write and design reviews read.',
  },
  {
    name: 'Modules',
    description:
      'Lifeflow: versioned bundles of processes, forms, rule sets, templates and dashboards; the group standard, enabled and customised per tenant.',
  },
  {
    name: 'Rule sets',
    description: 'Lifeflow: deployed json-rules-engine rule sets, and a test run on sample input.',
  },
  { name: 'Process instances', description: 'Running and finished processes.' },
  { name: 'User tasks', description: 'Human work: search, claim, complete.' },
  {
    name: 'Departments',
    description: 'Lifeflow: the org chart of a tenant (departments, heads, members) for approval routing.',
  },
  {
    name: 'Working calendars',
    description: 'Lifeflow: working days and hours (工作日历) on which approval timeouts are counted.',
  },
  { name: 'Documents', description: 'Files uploaded for user tasks and process instances.' },
  { name: 'Notifications', description: 'In-app notifications and the templates of all notifications.' },
  { name: 'Webhooks', description: 'HTTP callbacks on events, signed, with their delivery log.' },
  { name: 'Jobs', description: 'Work for external workers.' },
  { name: 'Incidents', description: 'Failures waiting for someone.' },
  { name: 'Element instances', description: 'The elements a process instance went through.' },
  { name: 'Variables', description: 'Process variables.' },
  { name: 'Messages and signals', description: 'Events from outside.' },
];

const SECURITY: Record<Exclude<Security, 'public'>, Array<Record<string, string[]>>> = {
  read: [{ basicAuth: [] }, { bearerAuth: [] }, { sessionCookie: [] }],
  write: [{ basicAuth: [] }, { bearerAuth: [] }, { sessionCookie: [], csrfToken: [] }],
};

function operationId(method: string, path: string): string {
  const words = path
    .replace(/^\/v2\//, '/')
    .split(/[/\-.{}]+/)
    .filter(Boolean);
  return [method, ...words].map((w, i) => (i === 0 ? w : w[0].toUpperCase() + w.slice(1))).join('');
}

function buildOperation(method: Method, path: string, o: Operation): Schema {
  const security = o.security ?? (method === 'get' ? 'read' : 'write');
  const parameters: Schema[] = [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    ...(o.params?.[name] ? { description: o.params[name] } : {}),
    schema: name === 'key' || name.endsWith('Key') ? ref('Key') : { type: 'string' },
  }));
  for (const [name, description] of Object.entries(o.query ?? {}))
    parameters.push({ name, in: 'query', required: false, description, schema: { type: 'string' } });
  const result: Schema = {
    tags: [o.tag],
    summary: o.summary,
    ...(o.description ? { description: o.description } : {}),
    operationId: operationId(method, path),
    ...(parameters.length ? { parameters } : {}),
  };
  const errors = new Set(o.errors ?? []);
  if (o.body) {
    const multipart = o.body.startsWith('multipart:');
    const name = o.body.replace(/^multipart:/, '');
    const required = o.bodyRequired ?? Array.isArray(schemas[name]?.required);
    result.requestBody = {
      required,
      content: multipart
        ? { 'multipart/form-data': { schema: ref(name) } }
        : { 'application/json': { schema: ref(name) } },
    };
    if (!multipart) {
      errors.add(400);
      errors.add(413);
      errors.add(415);
    }
  }
  if (security !== 'public') {
    errors.add(401);
    result.security = SECURITY[security];
  } else result.security = [];
  errors.add(500);
  const ok: Schema = {
    description: o.ok.description ?? (o.ok.status === 204 ? 'Done; no content.' : 'OK.'),
    headers: { 'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' } },
  };
  if (o.ok.content) ok.content = o.ok.content;
  else if (o.ok.schema) ok.content = { 'application/json': { schema: ref(o.ok.schema) } };
  result.responses = {
    [String(o.ok.status)]: ok,
    ...(o.extraResponses ?? {}),
    ...Object.fromEntries(
      [...errors]
        .sort()
        .map((status) => [String(status), { $ref: `#/components/responses/Problem${status}` }]),
    ),
  };
  return result;
}

/** The OpenAPI 3.1 document of this server. */
export function openApiDocument(version: string): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const [method, path, o] of ops) {
    paths[path] ??= {};
    paths[path][method] = buildOperation(method, path, o);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Lifeflow REST API',
      version,
      description: [
        'Lifeflow is a BPMN workflow engine whose REST API follows the shapes of the Camunda 8 REST API v2: keys are 64-bit numbers serialised as decimal strings, the default tenant is `<default>`, searches are `{ filter, sort, page }` answered with `{ items, page: { totalItems } }`, and errors are RFC 9457 `application/problem+json`.',
        'Authenticate with HTTP Basic, a bearer API token (`POST /v2/auth/tokens`), or the web app’s session cookie `lifeflow_session`; requests that use the cookie and change data must send the session’s CSRF token in `X-CSRF-Token`.',
        'JSON request bodies must be objects sent as `application/json` (at most 2 MB): other content types answer 415, other JSON values 400, larger bodies 413.',
        'Every response carries an `X-Request-Id` header (the one the client sent, when it is a short token, else a generated one); the server logs it with the request.',
      ].join('\n\n'),
    },
    servers: [{ url: '/', description: 'This server' }],
    tags: TAGS,
    paths,
    components: {
      schemas,
      responses,
      headers: {
        'X-Request-Id': {
          description: 'The id under which the server logged this request.',
          schema: { type: 'string' },
        },
      },
      securitySchemes: {
        basicAuth: { type: 'http', scheme: 'basic', description: 'User name and password.' },
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'lf_…',
          description: 'A personal API token from POST /v2/auth/tokens.',
        },
        sessionCookie: {
          type: 'apiKey',
          in: 'cookie',
          name: 'lifeflow_session',
          description: 'The web app’s session, from POST /v2/auth/login.',
        },
        csrfToken: {
          type: 'apiKey',
          in: 'header',
          name: 'X-CSRF-Token',
          description:
            'The session’s CSRF token (returned by login and /v2/authentication/me); required with the cookie on POST, PUT, PATCH and DELETE.',
        },
      },
    },
    security: SECURITY.read,
  };
}
