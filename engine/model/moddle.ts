import { BpmnModdle } from 'bpmn-moddle';
import { createRequire } from 'node:module';
import lifeflowDescriptor from './lifeflow-moddle.json' with { type: 'json' };

const require = createRequire(import.meta.url);
const zeebeDescriptor = require('zeebe-bpmn-moddle/resources/zeebe.json');

export type ModdleElement = any;

export interface ParsedXml {
  definitions: ModdleElement;
  warnings: string[];
}

function createModdle() {
  return new BpmnModdle({ zeebe: zeebeDescriptor, lf: lifeflowDescriptor });
}

/** Parses BPMN 2.0 XML with the zeebe and lifeflow extensions. Throws on malformed XML. */
export async function parseXml(xml: string): Promise<ParsedXml> {
  const moddle = createModdle();
  const { rootElement, warnings } = await moddle.fromXML(xml, 'bpmn:Definitions');
  return {
    definitions: rootElement,
    warnings: (warnings ?? []).map((w: { message: string }) => w.message),
  };
}
