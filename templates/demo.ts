import type { Principal } from '../runtime/auth/authenticate.js';
import type { Runtime } from '../runtime/create-runtime.js';
import type { Actor } from '../runtime/services/engine-service.js';

/**
 * The demo tenant's history: two projects with their assets, and about six months of work in the
 * three lifecycle modules — feedback loops reported, rectified, verified (some reopened), handover
 * sign-offs with a rejection now and then, quarterly KPI reviews with their corrective actions —
 * most finished, some still running, so the monitor, the asset pages and the dashboards have
 * content on a fresh start. Deterministic: the same data on every fresh database.
 *
 * The runtime's clock is moved through the past with `setTime` while the work is done (every
 * start, completion and history entry carries its date), then handed back (`setTime(null)`).
 */
export interface DemoSummary {
  assets: number;
  finished: number;
  running: number;
}

const PROJECTS = ['一期厂房', '二期仓库'] as const;

export const DEMO_ASSETS = [
  {
    code: 'P1-B1-HVAC-CH01',
    name: '1号冷水机组',
    project: '一期厂房',
    building: '1号楼',
    system: '暖通空调',
    equipment: '离心式冷水机组',
  },
  {
    code: 'P1-B3-HVAC-AHU03',
    name: '3号楼空调机组 AHU-03',
    project: '一期厂房',
    building: '3号楼',
    system: '暖通空调',
    equipment: '组合式空调机组',
    bimGuid: '2O2Fr$t4X7Zf8NOew3FLOH',
  },
  {
    code: 'P1-B2-ELEC-TX01',
    name: '1号变压器',
    project: '一期厂房',
    building: '2号楼',
    system: '供配电',
    equipment: '干式变压器',
  },
  {
    code: 'P1-B2-FIRE-PUMP01',
    name: '消防泵1号',
    project: '一期厂房',
    building: '2号楼',
    system: '消防',
    equipment: '消防水泵',
  },
  {
    code: 'P1-B3-LIFT-01',
    name: '3号楼1号电梯',
    project: '一期厂房',
    building: '3号楼',
    system: '电梯',
    equipment: '客梯',
  },
  {
    code: 'P2-W1-ROOF',
    name: '1号库屋面',
    project: '二期仓库',
    building: '1号库',
    system: '建筑',
    equipment: '金属屋面',
  },
  {
    code: 'P2-W1-DOCK-03',
    name: '3号装卸平台',
    project: '二期仓库',
    building: '1号库',
    system: '物流设施',
    equipment: '液压登车桥',
  },
  {
    code: 'P2-W1-LIGHT-02',
    name: '照明回路2',
    project: '二期仓库',
    building: '1号库',
    system: '电气照明',
    equipment: 'LED 高棚灯',
  },
];

/** Problems that happen to each system, so a report fits the asset it names. */
type Problem = { category: string; text: string; cause: string; lesson: string };
const PROBLEMS: Record<string, Problem[]> = {
  暖通空调: [
    {
      category: 'design',
      text: '检修通道过窄，设备无法整体更换',
      cause: '设计未预留检修空间',
      lesson: '大型设备应预留吊装孔与更换通道',
    },
    { category: 'equipment', text: '频繁高压报警', cause: '冷凝器结垢', lesson: '冷却水系统增设自动加药' },
  ],
  供配电: [
    {
      category: 'design',
      text: '明敷线槽影响吊顶检修',
      cause: '管线综合未考虑后期维护',
      lesson: '采用预埋线槽代替明敷',
    },
    { category: 'equipment', text: '温控器误报超温', cause: '温度探头安装位置不当', lesson: '' },
  ],
  消防: [
    {
      category: 'construction',
      text: '泵房地面积水',
      cause: '排水沟坡度不足',
      lesson: '泵房排水沟坡度不小于 1%',
    },
    { category: 'usage', text: '巡检记录缺失', cause: '巡检卡丢失', lesson: '' },
  ],
  电梯: [
    { category: 'equipment', text: '层门开关异响', cause: '门机导轨缺油', lesson: '' },
    { category: 'usage', text: '轿厢按钮失灵', cause: '按钮受潮', lesson: '' },
  ],
  建筑: [
    {
      category: 'construction',
      text: '屋面接缝处渗水',
      cause: '防水卷材搭接不足',
      lesson: '金属屋面接缝处加设二道防水',
    },
    {
      category: 'design',
      text: '屋面无检修通道',
      cause: '设计未设上人检修路径',
      lesson: '屋面设备区应设检修走道',
    },
  ],
  物流设施: [
    { category: 'equipment', text: '登车桥液压缸漏油', cause: '密封圈老化', lesson: '' },
    { category: 'construction', text: '平台地面环氧开裂', cause: '基层含水率过高', lesson: '' },
  ],
  电气照明: [
    { category: 'usage', text: '照明回路跳闸', cause: '超负荷接入临时设备', lesson: '' },
    {
      category: 'design',
      text: '高棚灯无法在地面更换',
      cause: '未选用可升降灯具',
      lesson: '高大空间选用升降式灯具',
    },
  ],
};
const GROUP_USER: Record<string, string> = { design: 'des1', contractor: 'con1', operations: 'ops1' };
const SEVERITIES = ['critical', 'major', 'major', 'minor', 'minor', 'minor'];
const ALL_DOCS = ['asBuilt', 'manuals', 'maintenancePlan', 'spareParts', 'emergencyPlan', 'training'];
const DAY = 86_400_000;
const HOUR = 3_600_000;

/** A small deterministic generator (mulberry32): the same demo on every fresh database. */
function random(seed: number) {
  let a = seed;
  const next = () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    pick: <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)],
    between: (lo: number, hi: number) => lo + next() * (hi - lo),
  };
}

export async function seedDemo(
  runtime: Runtime,
  setTime: (at: Date | null) => void,
  options: { tenantId?: string; now?: Date; log?: (m: string) => void } = {},
): Promise<DemoSummary> {
  const tenantId = options.tenantId ?? '<default>';
  const now = options.now ?? new Date();
  const rnd = random(20261207);
  const actors = new Map<string, Actor>();
  const actor = async (username: string): Promise<Actor> => {
    let a = actors.get(username);
    if (!a) {
      const p: Principal | null = await runtime.auth.principalFor(username, 'basic');
      if (!p) throw new Error(`the demo needs the user <${username}>`);
      a = { username: p.username, tenantIds: [tenantId], groups: p.groups, roles: p.roles };
      actors.set(username, a);
    }
    return a;
  };
  const at = (d: Date) => setTime(d);

  const openTask = async (key: string, elementId?: string, groups?: string[]) => {
    const row = await runtime
      .knex('user_tasks')
      .where({ process_instance_key: key, state: 'CREATED' })
      .modify((q) => {
        if (elementId) q.where({ element_id: elementId });
        if (groups) q.whereRaw('candidate_groups && ?::text[]', [groups]);
      })
      .orderBy('user_task_key')
      .first('user_task_key', 'element_id');
    return row ? { key: String(row.user_task_key), elementId: row.element_id as string } : null;
  };
  const work = async (
    key: string,
    elementId: string,
    username: string,
    variables: Record<string, unknown>,
    /** Several tasks of the element are open (a multi-instance): take the one the user's group may work. */
    byGroup = false,
  ) => {
    const task = await openTask(key, elementId, byGroup ? (await actor(username)).groups : undefined);
    if (!task) throw new Error(`demo: expected an open <${elementId}> in instance ${key}`);
    const a = await actor(username);
    await runtime.tasks.assign(task.key, username, true, await actor('admin'));
    await runtime.tasks.complete(task.key, variables, a);
  };
  const runJobs = async (type: string) => {
    const jobs = await runtime.jobs.activate({
      type,
      worker: 'demo',
      timeout: 60_000,
      maxJobsToActivate: 50,
      tenantIds: [tenantId],
    });
    for (const job of jobs) await runtime.builtins.run(job);
  };
  const start = async (
    username: string,
    processDefinitionId: string,
    variables: Record<string, unknown>,
    businessKey?: string,
  ) =>
    (
      await runtime.engine.createInstance(
        { processDefinitionId, tenantId, variables, businessKey },
        await actor(username),
      )
    ).instance.processInstanceKey;

  try {
    for (const a of DEMO_ASSETS)
      await runtime
        .knex('assets')
        .insert({
          asset_key: runtime.nextKey(),
          tenant_id: tenantId,
          code: a.code,
          name: a.name,
          project: a.project,
          building: a.building,
          system: a.system,
          equipment: a.equipment,
          bim_guid: a.bimGuid ?? null,
        })
        .onConflict(['tenant_id', 'code'])
        .ignore();

    // Feedback loops over the last six months; the last ones are still open.
    const FEEDBACK = 48;
    for (let i = 0; i < FEEDBACK; i++) {
      const t0 = new Date(now.getTime() - 180 * DAY + (i / FEEDBACK) * 176 * DAY + rnd.between(0, 2) * DAY);
      const asset = rnd.pick(DEMO_ASSETS);
      const problem = rnd.pick(PROBLEMS[asset.system]);
      const severity = rnd.pick(SEVERITIES);
      const underWarranty = t0.getTime() < now.getTime() - 90 * DAY ? rnd.next() < 0.7 : rnd.next() < 0.3;
      at(t0);
      const key = await start(
        'field1',
        'feedback-loop',
        {
          project: asset.project,
          asset: asset.code,
          location: `${asset.building} ${asset.name}`,
          severity,
          category: problem.category,
          underWarranty,
          description: `${asset.name}：${problem.text}`,
        },
        `FB-${String(i + 1).padStart(3, '0')}`,
      );
      const group = String(
        (
          await runtime
            .knex('variables')
            .where({ process_instance_key: key, scope_key: key, name: 'responsibleGroup' })
            .first('value')
        )?.value ?? 'operations',
      );
      const fixer = GROUP_USER[group] ?? 'ops1';
      const stillOpen = i >= FEEDBACK - 6;
      if (stillOpen && i % 2 === 0) {
        continue; // waits for its rectification
      }
      const hours = severity === 'critical' ? rnd.between(1, 6) : rnd.between(4, 60);
      let t = t0.getTime() + hours * HOUR;
      at(new Date(t));
      const fix = { cause: problem.cause, measures: '已按方案整改完成', lesson: problem.lesson };
      await work(key, 'rectify', fixer, fix);
      if (stillOpen) {
        continue; // waits for the on-site verification
      }
      t += rnd.between(2, 24) * HOUR;
      at(new Date(t));
      if (rnd.next() < 0.15) {
        await work(key, 'verify', 'ops1', { result: 'reopen', verifyComment: '现场复查仍有问题' });
        t += rnd.between(8, 48) * HOUR;
        at(new Date(t));
        await work(key, 'rectify', fixer, { ...fix, measures: '二次整改完成' });
        t += rnd.between(2, 12) * HOUR;
        at(new Date(t));
      }
      await work(key, 'verify', 'ops1', { result: 'closed', verifyComment: '验证通过' });
      await runJobs('design-lesson');
    }

    // Handover sign-offs: most accepted (one after a rejection in review, one after a party
    // refused to sign, one with open issues tracked after acceptance), the newest two still open:
    // one in review, one waiting for the last signatures.
    const HANDOVERS = 8;
    const PARTIES = ['eng1', 'sur1', 'des1', 'con1', 'sup1'];
    /** The three reviews (engineering, operations, supervision), each some hours after the last. */
    const review = async (
      key: string,
      t: number,
      decide: (elementId: string, user: string) => { decision: string; comment: string },
    ) => {
      for (const [el, user] of [
        ['engineeringReview', 'eng1'],
        ['operationsReview', 'ops1'],
        ['supervisionReview', 'sup1'],
      ] as const) {
        t += rnd.between(4, 30) * HOUR;
        at(new Date(t));
        await work(key, el, user, decide(el, user));
      }
      return t;
    };
    const signAll = async (key: string, t: number, signers = PARTIES) => {
      for (const user of signers) {
        t += rnd.between(2, 20) * HOUR;
        at(new Date(t));
        await work(key, 'jointSignoff', user, { decision: 'approve', comment: '同意移交，签认' }, true);
      }
      return t;
    };
    for (let i = 0; i < HANDOVERS; i++) {
      const asset = DEMO_ASSETS[i % DEMO_ASSETS.length];
      const t0 = new Date(now.getTime() - 170 * DAY + i * 21 * DAY);
      at(t0);
      const key = await start(
        'owner',
        'handover-signoff',
        { project: asset.project, asset: asset.code },
        `HO-2026-${String(i + 1).padStart(3, '0')}`,
      );
      const day = (d: number) => new Date(t0.getTime() + d * DAY).toISOString().slice(0, 10);
      // One accepted handover left two open issues: one fixed since, one due tomorrow.
      const openIssues =
        i === 1
          ? [
              { description: '设备铭牌未安装', owner: 'con1', deadline: day(40) },
              { description: '机房地面防尘涂层局部起皮', owner: 'con1', deadline: day(150) },
            ]
          : [];
      const pkg = { project: asset.project, asset: asset.code, documents: ALL_DOCS, openIssues };
      let t = t0.getTime() + rnd.between(1, 4) * DAY;
      at(new Date(t));
      await work(key, 'submitPackage', 'con1', pkg);
      if (i === HANDOVERS - 1) {
        continue; // in the three reviews
      }
      if (i === 2) {
        t = await review(key, t, (el) =>
          el === 'operationsReview'
            ? { decision: 'reject', comment: '维保计划缺少备件清单' }
            : { decision: 'approve', comment: '同意' },
        );
        t += 2 * DAY;
        at(new Date(t));
        await work(key, 'supplement', 'con1', pkg);
        await work(key, 'submitPackage', 'con1', pkg);
      }
      t = await review(key, t, (_, user) => ({ decision: 'approve', comment: `${user} 同意移交` }));
      if (i === 3) {
        t = await signAll(key, t, ['eng1', 'sur1']);
        t += rnd.between(2, 10) * HOUR;
        at(new Date(t));
        await work(
          key,
          'jointSignoff',
          'des1',
          { decision: 'reject', comment: '竣工图与现场管线走向不符' },
          true,
        );
        t += 3 * DAY;
        at(new Date(t));
        await work(key, 'supplement', 'con1', pkg);
        await work(key, 'submitPackage', 'con1', pkg);
        t = await review(key, t, () => ({ decision: 'approve', comment: '补充后同意' }));
      }
      if (i === HANDOVERS - 2) {
        await signAll(key, t, ['eng1', 'des1', 'sup1']);
        continue; // waiting for the survey unit's and the contractor's signatures
      }
      t = await signAll(key, t);
      await runJobs('archive-record'); // the approval record filed as PDF
      await runJobs('start-process'); // open issues tracked, then the first year of free maintenance
      await runJobs('start-process');
      if (openIssues.length) {
        // The first issue was fixed and confirmed; the second is still open (the demo's reminders).
        const items = await runtime
          .knex('variables')
          .where({ process_instance_key: key, scope_key: key, name: 'openIssueInstances' })
          .first('value');
        const first = (typeof items?.value === 'string' ? JSON.parse(items.value) : items?.value)?.[0];
        if (first) {
          const k = String(first);
          t += 10 * DAY;
          at(new Date(t));
          await work(k, 'rectifyIssue', 'con1', { resolution: '铭牌已补装' });
          t += DAY;
          at(new Date(t));
          await work(k, 'confirmIssue', 'eng1', { decision: 'approve', comment: '已核实' });
        }
      }
    }

    // KPI reviews: two finished quarters per project, the current one being entered.
    const quarters = [
      { start: '2026-04-01T00:00:00+08:00', end: '2026-06-30T23:59:59+08:00' },
      { start: '2026-07-01T00:00:00+08:00', end: '2026-09-30T23:59:59+08:00' },
    ].filter((q) => new Date(q.end).getTime() < now.getTime());
    for (const project of PROJECTS) {
      for (const q of quarters) {
        const t0 = new Date(new Date(q.end).getTime() + 3 * DAY);
        at(t0);
        const key = await start(
          'owner',
          'kpi-review',
          { project, periodStart: q.start, periodEnd: q.end },
          `KPI-${project}-${q.start.slice(0, 7)}`,
        );
        await runJobs('kpi-facts');
        at(new Date(t0.getTime() + DAY));
        await work(key, 'enterKpi', 'ops1', {
          availability: Math.round(rnd.between(96, 99.8) * 10) / 10,
          energyPerM2: Math.round(rnd.between(22, 34)),
          complaintRate: Math.round(rnd.between(0.5, 3) * 10) / 10,
          firstStartupRate: Math.round(rnd.between(92, 100)),
          tcoToDate: Math.round(rnd.between(800, 1100)),
          tcoBudget: 1000,
        });
        at(new Date(t0.getTime() + 3 * DAY));
        await work(key, 'meeting', 'owner', {
          decision: 'approve',
          minutes: '季度考核评审通过，未达标项发起整改',
        });
        await runJobs('start-process');
      }
      at(new Date(now.getTime() - 4 * DAY));
      await start(
        'owner',
        'kpi-review',
        { project, periodStart: '2026-10-01T00:00:00+08:00', periodEnd: now.toISOString() },
        `KPI-${project}-current`,
      );
      await runJobs('kpi-facts');
    }
    // The next project's design review: operations see the lessons of both projects' closed problems.
    at(new Date(now.getTime() - 2 * DAY));
    await start(
      'des1',
      'design-review',
      {
        project: '三期数据中心',
        designUnit: '华东建筑设计研究院',
        systems: ['暖通空调', '供配电', '电梯'],
        scope: '三期数据中心暖通空调、供配电及电梯系统施工图设计评审',
      },
      'DR-三期-001',
    );
    await runJobs('find-design-lessons');
  } finally {
    setTime(null);
  }
  const counts: Array<{ state: string; n: number | string }> = await runtime
    .knex('process_instances')
    .where({ tenant_id: tenantId })
    .groupBy('state')
    .select('state')
    .count({ n: '*' });
  const n = (state: string) => Number(counts.find((c) => c.state === state)?.n ?? 0);
  const summary = { assets: DEMO_ASSETS.length, finished: n('COMPLETED'), running: n('ACTIVE') };
  options.log?.(
    `demo: ${summary.assets} assets, ${summary.finished} finished and ${summary.running} running instances`,
  );
  return summary;
}
