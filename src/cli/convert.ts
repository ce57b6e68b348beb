/**
 * `yolov2-ts convert`: a darknet `.cfg` + `.weights` (+ `.names`) to a detector folder (TF.js
 * `model.json`, weight shards and `yolov2.json`), loadable with `loadDetector` and `Detector.load`.
 *
 * @packageDocumentation
 */
import { Command } from 'commander';
import { type GlobalOptions, mustExist, oneOf, say, startBackend } from './common.js';

interface ConvertOptions {
  cfg: string;
  weights: string;
  out: string;
  names?: string;
  quantize?: 'float16' | 'uint8';
  json?: boolean;
}

/** The `convert` subcommand. */
export function convertCommand(globals: () => GlobalOptions): Command {
  return new Command('convert')
    .description('convert a darknet .cfg + .weights into a detector folder (model.json, shards, yolov2.json)')
    .requiredOption('--cfg <file>', 'darknet .cfg with a [region] section')
    .requiredOption('--weights <file>', 'darknet .weights matching the cfg')
    .requiredOption('--out <dir>', 'folder to write')
    .option('--names <file>', 'class names, one per line (default: 0, 1, …)')
    .option('--quantize <dtype>', 'store weights as float16 or uint8', oneOf('float16', 'uint8'))
    .option('--json', 'print one JSON object (files written, metadata, unknown cfg keys)')
    .addHelpText('after', '\nExample:\n  yolov2-ts convert --cfg yolov2-voc.cfg --weights yolov2-voc.weights --names voc.names --out models/voc')
    .action(async (o: ConvertOptions) => runConvert(o, globals()));
}

async function runConvert(o: ConvertOptions, g: GlobalOptions): Promise<void> {
  mustExist('--cfg', o.cfg, 'file');
  mustExist('--weights', o.weights, 'file');
  if (o.names !== undefined) mustExist('--names', o.names, 'file');
  await startBackend(g);
  const { convertDarknet } = await import('../node/convert/convert-darknet.js');
  const result = await convertDarknet(
    { cfg: o.cfg, weights: o.weights, ...(o.names !== undefined ? { names: o.names } : {}) },
    o.out,
    o.quantize !== undefined ? { quantize: o.quantize } : {},
  );
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ out: o.out, files: result.files, meta: result.meta, unknownKeys: result.unknownKeys })}\n`);
    return;
  }
  const m = result.meta;
  say(g, `wrote ${o.out}: ${result.files.join(', ')}`);
  say(g, `input ${m.inputSize[0]}×${m.inputSize[1]}, ${m.classNames.length} classes, ${m.anchors.length} anchors${o.quantize ? `, ${o.quantize} weights` : ''}`);
  if (result.unknownKeys.length > 0) say(g, `cfg keys ignored (as darknet does): ${result.unknownKeys.join('; ')}`);
}
