/**
 * zh-CN / en texts for form-js (@bpmn-io/form-js 1.x), which has no i18n of its own: every text
 * of the viewer, the editor palette and the properties panel is a hard-coded English string.
 * Used by the form editor (designer/src/form-editor) and by the form viewer of the task inbox;
 * it depends on nothing of either (only on form-js' own services and on flatpickr).
 *
 * How each kind of text is translated:
 * - Validation messages ("Field is required.", "Field must have minimum length of 3.", …): the
 *   viewer's `validator` service is decorated by an additional module (`formJsViewerModules`), so
 *   the errors are Chinese at the source — in the DOM and in the `submit` event's `errors`.
 *   `translateFormErrors` does the same to an errors object computed elsewhere.
 * - Palette entries and the type label of the properties panel come from each form field's
 *   `config.name`: `formJsEditorModules` re-registers every form field with a translated copy of
 *   its config (also giving newly created fields a Chinese default label, e.g. 「文本框」).
 * - Everything else (palette groups and search, properties panel groups/entries/tooltips and
 *   their validation messages, viewer placeholders such as "Select"/"Search", "Browse", "No files
 *   selected", table paging, dynamic-list buttons, date/time texts computed in components): the
 *   strings are hard-coded in preact components, so `localizeFormDom(root, lang)` replaces known
 *   English strings (exact texts and a few patterns) in text nodes and in the placeholder, title
 *   and aria-label attributes, with a MutationObserver limited to the given root. It leaves the
 *   user's own content alone: inputs, editors, field labels, descriptions, text/HTML views.
 * - The date picker (flatpickr) has locales of its own: `localizeDatePicker(lang)` switches it.
 *
 * Usage (viewer):
 *   const lang = formLanguage(i18n.language);
 *   localizeDatePicker(lang);
 *   const form = new Form({ container, additionalModules: formJsViewerModules(lang) });
 *   const stop = localizeFormDom(container, lang);
 *   … on destroy: stop(); form.destroy();   (recreate both when the language changes)
 * Usage (editor): `new FormEditor({ container, additionalModules: formJsEditorModules(lang) })`
 * and `localizeFormDom(container, lang)` the same way.
 */
import flatpickr from 'flatpickr';

export type FormLanguage = 'zh-CN' | 'en';

/** The form-js language for an i18next language (anything not Chinese is English). */
export function formLanguage(lang: string | undefined): FormLanguage {
  return lang?.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

// ---------------------------------------------------------------------------------------------
// Texts

/** The type names of the form fields (palette entries, properties panel header). */
const FIELD_NAMES: Record<string, string> = {
  textfield: '文本框',
  textarea: '多行文本',
  number: '数字',
  datetime: '日期时间',
  expression: '计算值',
  filepicker: '文件上传',
  checkbox: '复选框',
  checklist: '多选组',
  radio: '单选组',
  select: '下拉选择',
  taglist: '标签多选',
  text: '文本说明',
  html: 'HTML 内容',
  image: '图片',
  table: '表格',
  iframe: '内嵌网页',
  documentPreview: '文档预览',
  spacer: '间距',
  separator: '分隔线',
  group: '分组',
  dynamiclist: '动态列表',
  button: '按钮',
};

/** Exact English texts of the viewer and the editor, as they appear in the DOM. */
const ZH: Record<string, string> = {
  // viewer
  Select: '请选择',
  Search: '搜索',
  'No results': '无匹配项',
  'All values selected': '已全部选择',
  'Remove tag': '移除',
  'Skip to search': '跳到搜索',
  Browse: '选择文件',
  'No files selected': '未选择文件',
  'Nothing to show.': '暂无数据',
  'Previous page': '上一页',
  'Next page': '下一页',
  'Click to remove sorting': '点击取消排序',
  Decrement: '减少',
  'Add new': '添加',
  Collapse: '收起',
  'Unable to download document': '无法下载文档',
  'Document reference is not defined.': '未定义文档引用。',
  'No content to show.': '暂无内容。',
  'This is an image placeholder': '图片占位',
  'hh:mm': '时:分',
  'hh:mm --': '时:分 --',
  'mm/dd/yyyy': '月/日/年',
  'yyyy/mm/dd': '年/月/日',
  'Date and time must both be entered.': '日期和时间须同时填写。',
  Submit: '提交',
  Reset: '重置',
  Date: '日期',
  Time: '时间',
  'Powered by bpmn.io': '由 bpmn.io 提供',
  'Field is required.': '此项为必填项。',
  'Field must be a valid email.': '请输入有效的电子邮箱地址。',
  'Field must be a valid  international phone number. (e.g. +4930664040900)':
    '请输入有效的国际电话号码（例如 +8613800138000）。',
  'Value is not a number.': '请输入数字。',
  'Min validation value is not a valid number.': '最小值校验的取值不是有效数字。',
  'Max validation value is not a valid number.': '最大值校验的取值不是有效数字。',
  'No options source defined in the form definition': '表单定义中未配置选项来源',
  // editor: palette and canvas
  Components: '组件',
  'Search components': '搜索组件',
  'Clear content': '清除',
  'No components found.': '未找到组件。',
  Input: '输入',
  Selection: '选择',
  Presentation: '展示',
  Containers: '容器',
  Action: '操作',
  'Build your form': '开始构建表单',
  'Drag and drop components here to start designing.': '将组件拖放到此处开始设计。',
  'Drag and drop components here.': '将组件拖放到此处。',
  'Use the preview window to test your form.': '可在预览窗口中测试表单。',
  'Remove form field': '删除表单字段',
  'Text view is empty': '文本说明为空',
  'Text view is templated': '文本说明使用模板',
  'Text view is populated by an expression': '文本说明由表达式生成',
  'Html view is empty': 'HTML 内容为空',
  'Html view is templated': 'HTML 内容使用模板',
  'Html view is populated by an expression': 'HTML 内容由表达式生成',
  // properties panel: header, groups
  Form: '表单',
  'Select a form field to edit its properties.': '选择一个表单字段以编辑其属性。',
  'Multiple form fields are selected. Select a single form field to edit its properties.':
    '已选择多个表单字段，请只选择一个以编辑其属性。',
  General: '常规',
  Condition: '条件',
  Validation: '校验',
  Appearance: '外观',
  Layout: '布局',
  Serialization: '序列化',
  Constraints: '约束',
  'Custom properties': '自定义属性',
  'Options source': '选项来源',
  'Static options': '静态选项',
  'Dynamic options': '动态选项',
  'Options expression': '选项表达式',
  'Security attributes': '安全属性',
  'Headers source': '表头来源',
  'Header items': '表头项',
  Content: '内容',
  'Form submission': '表单提交',
  // properties panel: entries
  ID: 'ID',
  Key: '字段键（变量名）',
  Path: '路径',
  Label: '标签',
  'Field label': '字段标签',
  'Group label': '分组标签',
  'Table label': '表格标签',
  'Field description': '字段说明',
  Description: '说明',
  'Default value': '默认值',
  Type: '类型',
  Text: '文本',
  Title: '标题',
  URL: 'URL',
  Value: '值',
  Values: '值',
  Disabled: '禁用',
  'Read only': '只读',
  Required: '必填',
  Repeatable: '可重复',
  Searchable: '可搜索',
  'Hide if': '隐藏条件',
  'Deactivate if': '停用条件',
  'Condition under which the field is hidden': '满足此条件时隐藏该字段',
  'Condition under which the field is deactivated': '满足此条件时停用该字段',
  'Validation pattern': '校验格式',
  'Custom regular expression': '自定义正则表达式',
  'Custom error message': '自定义错误提示',
  'The error message to display when the input does not match the regular expression.':
    '输入与正则表达式不匹配时显示的错误提示。',
  'Minimum length': '最小长度',
  'Maximum length': '最大长度',
  Minimum: '最小值',
  Maximum: '最大值',
  Email: '电子邮箱',
  Phone: '电话',
  Custom: '自定义',
  Prefix: '前缀',
  Suffix: '后缀',
  'Decimal digits': '小数位数',
  Increment: '步长',
  'Output as string': '以字符串输出',
  'Allows arbitrary precision values': '允许任意精度的数值',
  Subtype: '子类型',
  'Date label': '日期标签',
  'Time label': '时间标签',
  'Time format': '时间格式',
  'Time interval': '时间间隔',
  'Use 24h': '使用 24 小时制',
  'Disallow past dates': '不允许选择过去的日期',
  'Date time': '日期时间',
  'UTC offset': 'UTC 偏移',
  'UTC normalized': 'UTC 标准化',
  'No timezone': '无时区',
  Static: '静态',
  'Input data': '输入数据',
  Expression: '表达式',
  'Input values key': '输入值变量',
  'Define which input property to populate the values from': '指定从哪个输入变量填充选项',
  'Define an expression to populate the options from.': '用表达式生成选项。',
  'Target value': '目标值',
  'Compute on': '计算时机',
  'Value changes': '值变化时',
  'Define an expression to calculate the value of this field': '用表达式计算此字段的值',
  'Upload multiple files': '允许上传多个文件',
  'Supported file formats': '支持的文件格式',
  'Image source': '图片来源',
  'Alternative text': '替代文本',
  'Descriptive text for screen reader accessibility.': '供读屏软件使用的描述文本。',
  'Expression or static value (link/data URI)': '表达式或静态值（链接或 data URI）',
  'Link referring to a hosted image, or use a data URI directly to embed image data into the form.':
    '指向图片的链接，或直接用 data URI 嵌入图片数据。',
  Height: '高度',
  'Height of the container in pixels.': '容器高度（像素）。',
  Columns: '列',
  Column: '列',
  Auto: '自动',
  'Vertical alignment': '垂直对齐',
  Top: '顶部',
  Center: '居中',
  Bottom: '底部',
  'Show outline': '显示边框',
  'Allow add/delete items': '允许增删条目',
  'Disable collapse': '禁止折叠',
  'Default number of items': '默认条目数',
  'Number of non-collapsing items': '不折叠的条目数',
  Pagination: '分页',
  'Number of rows per page': '每页行数',
  'Data source': '数据来源',
  'List of items': '条目列表',
  'Specify the source from which to populate the table': '指定表格数据的来源',
  'Specify an expression to populate column items': '用表达式生成列',
  'Enter a form input variable that contains the data for the table or define an expression to populate the data dynamically.':
    '输入包含表格数据的表单变量，或用表达式动态生成数据。',
  'Binds to a form variable': '绑定到表单变量',
  'Where the child variables of this component are pathed to.': '此组件的子变量所在的路径。',
  'Routes the children of this component into a form variable, may be left empty to route at the root level.':
    '将此组件的子字段放入一个表单变量；留空则放在根级。',
  'Routes the children of this component into a form variable.': '将此组件的子字段放入一个表单变量。',
  'Version tag': '版本标签',
  'Version tag by which this form can be referenced.': '可用于引用此表单的版本标签。',
  'Add properties directly to the form schema, useful to configure functionality in custom-built task applications and form renderers.':
    '直接向表单定义添加属性，用于在自定义的任务应用与表单渲染器中配置功能。',
  'Use a unique "key" to link the form element and the related input/output data. When dealing with nested data, break it down in the user task\'s input mapping before using it.':
    '使用唯一的“键”将表单元素与流程的输入/输出数据关联；如是嵌套数据，请先在用户任务的输入映射中展开。',
  'Make this field read-only when it cannot be edited by the end-user, but its content is important for them to see. Its data will still be submitted.':
    '用户不能编辑、但需要看到其内容时设为只读；其数据仍会提交。',
  'Disable this field when it should not be interactive for end-users. Its data will not be submitted. This setting takes precedence over read-only.':
    '用户不应操作此字段时将其禁用；其数据不会提交。此设置优先于只读。',
  Checked: '已勾选',
  'Not checked': '未勾选',
  '<none>': '<无>',
  '<empty>': '<空>',
  'Document reference': '文档引用',
  'Max height of preview container': '预览容器最大高度',
  'Documents whose height exceeds the defined value in pixels will be vertically scrollable':
    '高度超过此像素值的文档可纵向滚动',
  'The document data source is required.': '文档数据来源为必填项。',
  Create: '新建',
  'Create new list item': '新建条目',
  'Delete item': '删除条目',
  'Toggle list item': '展开/收起条目',
  'Toggle section': '展开/收起分组',
  'Section contains an error': '此分组有错误',
  'Section contains edits': '此分组已修改',
  'Open documentation': '打开文档',
  'Open pop-up editor': '在弹出编辑器中打开',
  'Opened in editor': '已在编辑器中打开',
  'Opened in popup': '已在弹窗中打开',
  'Close popup': '关闭弹窗',
  'Save and close': '保存并关闭',
  'Learn more': '了解更多',
  documentation: '文档',
  'Date & Time': '日期和时间',
  'A number is required.': '必须填写数字。',
  'A comma-separated list of': '以逗号分隔的',
  'file type specifiers': '文件类型说明符',
  'Click to set a dynamic value with FEEL expression': '点击改用 FEEL 表达式设置动态值',
  'Supports HTML, styling, and templating. Styles are automatically scoped to the HTML component.':
    '支持 HTML、样式与模板；样式自动限定在此 HTML 组件内。',
  'Supports markdown and templating.': '支持 Markdown 与模板。',
  'These options can incur security risks, especially if used in combination with dynamic links. Ensure that you are aware of them, that you trust the source url and only enable what your use case requires.':
    '这些选项可能带来安全风险，尤其是与动态链接一起使用时。请确认您了解这些风险、信任来源网址，并只启用确实需要的选项。',
  'Script execution': '执行脚本',
  'Allow same origin': '允许同源',
  'Open in fullscreen': '允许全屏',
  Geolocation: '地理位置',
  'Camera access': '访问摄像头',
  'Microphone access': '访问麦克风',
  'Forms submission': '提交表单',
  'Open modal windows': '打开模态窗口',
  'Open popups': '打开弹出窗口',
  'Top level navigation': '顶层导航',
  'Storage access by user': '用户存储访问',
  'Document preview': '文档预览',
  // properties panel: validation of entries
  'Must not be empty.': '不能为空。',
  'Must not be empty': '不能为空',
  'Must be unique.': '必须唯一。',
  'Must not contain spaces.': '不能包含空格。',
  'Must be a valid QName.': '必须是有效的限定名。',
  'Must be a variable or a dot separated path.': '必须是变量名或以点分隔的路径。',
  'Must be a variable or a dot-separated path': '必须是变量名或以点分隔的路径',
  'Must be empty, a variable or a dot-separated path': '必须为空、变量名或以点分隔的路径',
  'Must not contain numerical path segments.': '路径中不能包含数字段。',
  'Must not conflict with other key/path assignments.': '不能与其他键或路径冲突。',
  'Must not cause two binding paths to collide': '不能使两个绑定路径冲突',
  'Must not be a prohibited path.': '不能是禁止使用的路径。',
  'Must not contain prefix.': '不能包含前缀。',
  'Must be number': '必须是数字',
  'Should be a valid number': '应为有效数字',
  'Should be a valid number.': '应为有效数字。',
  'Should be an integer.': '应为整数。',
  'Should be greater than zero.': '应大于零。',
  'Should be greater than or equal to zero.': '应大于或等于零。',
  'Value must be a number.': '值必须是数字。',
  'FEEL expression is mandatory': '必须填写 FEEL 表达式',
  'Expression is empty': '表达式为空',
  'Unparsable FEEL expression.': '无法解析的 FEEL 表达式。',
  'Syntax Error': '语法错误',
};

/** English texts with a value in them. */
const ZH_PATTERNS: Array<[RegExp, (...m: string[]) => string]> = [
  [/^Field must have minimum length of (.+)\.$/, (n) => `长度不能少于 ${n} 个字符。`],
  [/^Field must have maximum length of (.+)\.$/, (n) => `长度不能超过 ${n} 个字符。`],
  [/^Field must have minimum value of (.+)\.$/, (n) => `不能小于 ${n}。`],
  [/^Field must have maximum value of (.+)\.$/, (n) => `不能大于 ${n}。`],
  [/^Field must match pattern (.+)\.$/s, (p) => `格式不正确（须匹配 ${p}）。`],
  [/^Value is expected to be an integer\.$/, () => '请输入整数。'],
  [/^Value is expected to have at most (\d+) decimal digits?\.$/, (n) => `最多 ${n} 位小数。`],
  [
    /^Please select a valid value, the two nearest valid values are (.+) and (.+)\.$/,
    (a, b) => `请输入有效的值，最接近的两个有效值为 ${a} 和 ${b}。`,
  ],
  [/^(\d+) files selected$/, (n) => `已选择 ${n} 个文件`],
  [/^Expand all \((\d+)\)$/, (n) => `全部展开（${n}）`],
  [/^Remove list item (\d+)$/, (n) => `删除第 ${n} 项`],
  [/^Download (.+)$/, (f) => `下载 ${f}`],
  [/^Click to sort by (.+) ascending$/, (l) => `点击按 ${l} 升序排列`],
  [/^Click to sort by (.+) descending$/, (l) => `点击按 ${l} 降序排列`],
  [/^List contains (\d+) items?$/, (n) => `共 ${n} 项`],
  [/^Create an? (.+) element$/, (l) => `新建${l}`],
  [/^Column (\d+)$/, (n) => `列 ${n}`],
];

/** A form-js English text in the given language (unknown texts are returned as they are). */
export function translateFormText(text: string, lang: FormLanguage): string {
  if (lang === 'en' || !text) return text;
  const exact = ZH[text] ?? ZH[text.trim()];
  if (exact !== undefined) return exact;
  for (const [re, fn] of ZH_PATTERNS) {
    const m = re.exec(text.trim());
    if (m) return fn(...m.slice(1));
  }
  return text;
}

/** The errors of a form-js `submit`/`validate` ({ fieldId: [messages] }) in the given language. */
export function translateFormErrors(
  errors: Record<string, string[]> | undefined,
  lang: FormLanguage,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [id, list] of Object.entries(errors ?? {}))
    out[id] = (list ?? []).map((m) => translateFormText(m, lang));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Modules

type Translate = (messages: string[]) => string[];

/** Decorates the viewer's `validator`: its messages come out translated. */
function validatorModule(lang: FormLanguage) {
  const translate: Translate = (messages) => (messages ?? []).map((m) => translateFormText(m, lang));
  return {
    __init__: ['lfValidatorTexts'],
    lfValidatorTexts: [
      'factory',
      [
        'validator',
        (validator: any) => {
          for (const method of ['validateField', 'validateFieldInstance']) {
            const original = validator[method];
            if (typeof original !== 'function') continue;
            validator[method] = (...args: unknown[]) => translate(original.apply(validator, args));
          }
          return {};
        },
      ],
    ],
  };
}

/** Default labels that form-js gives a new field (and to its date/time parts), in Chinese. */
const DEFAULT_LABELS: Record<string, string> = {
  'Text field': '文本框',
  'Text area': '多行文本',
  Number: '数字',
  Checkbox: '复选框',
  'Checkbox group': '多选组',
  'Radio group': '单选组',
  Select: '下拉选择',
  'Tag list': '标签多选',
  Button: '按钮',
  Group: '分组',
  'Dynamic list': '动态列表',
  iFrame: '内嵌网页',
  'File picker': '文件上传',
  'Document preview': '文档预览',
  Date: '日期',
  Time: '时间',
  Value: '值',
};

/**
 * Re-registers each form field of the editor with a translated copy of its config: the palette
 * and the properties panel header show the Chinese names, and new fields get Chinese labels.
 */
function fieldNamesModule(lang: FormLanguage) {
  return {
    __init__: ['lfFieldNames'],
    lfFieldNames: [
      'factory',
      [
        'formFields',
        (formFields: any) => {
          if (lang === 'en') return {};
          for (const [type, field] of Object.entries<any>(formFields._formFields ?? {})) {
            const name = FIELD_NAMES[type];
            if (!name || !field?.config) continue;
            const config = field.config;
            const wrapped: any = function (this: unknown, ...args: unknown[]) {
              return field.apply(this, args);
            };
            wrapped.config = {
              ...config,
              name,
              ...(config.label ? { label: DEFAULT_LABELS[config.label] ?? config.label } : {}),
              create: (attrs: any = {}, isNewField?: boolean) => {
                const created = config.create(attrs, isNewField);
                if (isNewField !== false && created && typeof created === 'object') {
                  for (const prop of ['label', 'dateLabel', 'timeLabel']) {
                    const v = created[prop];
                    if (typeof v === 'string' && DEFAULT_LABELS[v] && attrs[prop] !== v)
                      created[prop] = DEFAULT_LABELS[v];
                  }
                  if (Array.isArray(created.values) && !attrs.values)
                    created.values = created.values.map((o: any) =>
                      o?.label === 'Value' ? { ...o, label: '选项' } : o,
                    );
                }
                return created;
              },
            };
            formFields.register(type, wrapped);
          }
          return {};
        },
      ],
    ],
  };
}

/** additionalModules of a form-js `Form` (viewer) in the given language. */
export function formJsViewerModules(lang: FormLanguage): any[] {
  return lang === 'en' ? [] : [validatorModule(lang)];
}

/** additionalModules of a form-js `FormEditor` in the given language. */
export function formJsEditorModules(lang: FormLanguage): any[] {
  return lang === 'en' ? [] : [fieldNamesModule(lang)];
}

// ---------------------------------------------------------------------------------------------
// DOM

/** Elements whose text is the user's (their values may be any words); their attributes are ours. */
const USER_TEXT = ['input', 'textarea', '[contenteditable]', '.cm-editor'].join(',');
/** The user's own content (labels, descriptions, texts, options): neither text nor attributes. */
const USER_CONTENT = [
  'label.fjs-form-field-label',
  '.fjs-form-field-description',
  '.fjs-form-field-text',
  '.fjs-form-field-html',
  '.fjs-table-th-label',
  '.fjs-table-td:not([colspan])',
  '.fjs-dropdownlist-item',
  '.fjs-taglist-tag-label',
  '.fjs-select-display:not(.fjs-select-placeholder)',
  '.bio-properties-panel-header-label',
  '.bio-properties-panel-collapsible-entry-header-title',
  '.bio-properties-panel-list-entry-item .bio-properties-panel-collapsible-entry-header',
  '.lf-no-translate',
].join(',');
const ATTRIBUTES = ['placeholder', 'title', 'aria-label'];

function translateElementAttributes(el: Element, lang: FormLanguage) {
  if (el.closest(USER_CONTENT)) return;
  for (const attr of ATTRIBUTES) {
    const v = el.getAttribute(attr);
    if (!v) continue;
    const t = translateFormText(v, lang);
    if (t !== v) el.setAttribute(attr, t);
  }
}

function translateTextNode(node: Text, lang: FormLanguage) {
  const text = node.data;
  const parent = node.parentElement;
  if (!text.trim() || !parent || parent.closest(USER_TEXT) || parent.closest(USER_CONTENT)) return;
  const t = translateFormText(text, lang);
  if (t !== text) node.data = t;
}

function translateTree(root: Node, lang: FormLanguage) {
  if (root.nodeType === Node.TEXT_NODE) return translateTextNode(root as Text, lang);
  if (root.nodeType !== Node.ELEMENT_NODE) return;
  translateElementAttributes(root as Element, lang);
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.nodeType === Node.TEXT_NODE) translateTextNode(n as Text, lang);
    else translateElementAttributes(n as Element, lang);
  }
}

/**
 * Translates the hard-coded English texts of form-js under `root` (now and whenever form-js
 * renders again) into `lang`. Returns the function that stops it. Does nothing for English.
 */
export function localizeFormDom(root: HTMLElement, lang: FormLanguage): () => void {
  if (lang === 'en') return () => {};
  translateTree(root, lang);
  const observer = new MutationObserver((mutations) => {
    for (const m of mutations) {
      if (m.type === 'characterData') translateTextNode(m.target as Text, lang);
      else if (m.type === 'attributes') translateElementAttributes(m.target as Element, lang);
      else for (const n of m.addedNodes) translateTree(n, lang);
    }
  });
  observer.observe(root, {
    subtree: true,
    childList: true,
    characterData: true,
    attributes: true,
    attributeFilter: ATTRIBUTES,
  });
  return () => observer.disconnect();
}

// ---------------------------------------------------------------------------------------------
// Date picker

const FLATPICKR_ZH = {
  weekdays: {
    shorthand: ['周日', '周一', '周二', '周三', '周四', '周五', '周六'],
    longhand: ['星期日', '星期一', '星期二', '星期三', '星期四', '星期五', '星期六'],
  },
  months: {
    shorthand: ['1月', '2月', '3月', '4月', '5月', '6月', '7月', '8月', '9月', '10月', '11月', '12月'],
    longhand: [
      '一月',
      '二月',
      '三月',
      '四月',
      '五月',
      '六月',
      '七月',
      '八月',
      '九月',
      '十月',
      '十一月',
      '十二月',
    ],
  },
  firstDayOfWeek: 1,
  rangeSeparator: ' 至 ',
  weekAbbreviation: '周',
  scrollTitle: '滚动切换',
  toggleTitle: '点击切换 12/24 小时时制',
  amPM: ['上午', '下午'] as [string, string],
  yearAriaLabel: '年',
  monthAriaLabel: '月',
  hourAriaLabel: '时',
  minuteAriaLabel: '分',
  time_24hr: true,
};
const FLATPICKR_EN = { ...(flatpickr as any).l10ns.default };

/** The date picker of form-js (flatpickr, one per page) in the given language. */
export function localizeDatePicker(lang: FormLanguage): void {
  (flatpickr as any).l10ns.default =
    lang === 'en' ? { ...FLATPICKR_EN } : { ...FLATPICKR_EN, ...FLATPICKR_ZH };
}
