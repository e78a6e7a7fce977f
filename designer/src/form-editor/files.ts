import { saveTextFile } from '../app/files.js';
import { api } from '../app/api.js';

/** A form as the server lists it (POST /v2/forms/search). */
export interface FormVersion {
  formKey: string;
  formId: string;
  version: number;
  resourceName: string;
  tenantId: string;
  deploymentKey: string;
  deployedAt?: string | null;
  deployedBy?: string | null;
}

export type FormSchema = Record<string, any> & { id?: string; type?: string; components?: any[] };

/** A schema as a .form file (the way Camunda Modeler writes them). */
export function formFileText(schema: FormSchema): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}

/** GET /v2/forms/{key} with its schema parsed (the server sends it as a JSON string). */
export async function fetchForm(formKey: string): Promise<FormVersion & { schema: FormSchema }> {
  const form = await api.get<FormVersion & { schema: string | FormSchema }>(
    `/v2/forms/${encodeURIComponent(formKey)}`,
  );
  const schema = typeof form.schema === 'string' ? JSON.parse(form.schema) : form.schema;
  return { ...form, schema };
}

/** Downloads a deployed version as `<formId>.form`. */
export async function exportDeployedForm(formKey: string): Promise<void> {
  const form = await fetchForm(formKey);
  saveTextFile(`${form.formId}.form`, formFileText(form.schema), 'application/json');
}

/** Reads a chosen .form file; throws when it is not a JSON object. */
export async function readFormFile(file: File): Promise<FormSchema> {
  const parsed = JSON.parse(await file.text());
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a form');
  return parsed as FormSchema;
}
