import { describe, expect, it } from 'vitest';
import { ValueError } from '../../../src/errors.js';
import { modelFromDarknetCfg } from '../../../src/models/darknet-cfg/build.js';
import { parseDarknetCfg } from '../../../src/models/darknet-cfg/parse.js';
import { darknetLayerTable } from '../../../src/models/darknet-cfg/table.js';
import { thrown } from '../../helpers.js';

describe('darknetLayerTable', () => {
  it('prints each layer as darknet does (width x height x channels), with parameters and the total', () => {
    const text = `[net]\nwidth=16\nheight=8\nchannels=3\n[convolutional]\nbatch_normalize=1\nfilters=8\nsize=3\npad=1\nactivation=leaky
[maxpool]\nsize=2\nstride=2\n[convolutional]\nfilters=4\nsize=1\nactivation=linear\n[route]\nlayers=-1,-2\n[reorg]\nstride=2
[upsample]\nstride=2\n[shortcut]\nfrom=-1\n[dropout]\n[region]\nanchors=1,1\nnum=1\nclasses=43\n`;
    const built = modelFromDarknetCfg(parseDarknetCfg(text));
    // params: conv0 3·3·3·8 + 4·8 = 248; conv2 1·1·8·4 + 4 = 36; total 284
    expect(darknetLayerTable(built.layers).split('\n')).toEqual([
      'layer     filters    size              input                output          params',
      '    0 conv         8  3 x 3 / 1    16 x   8 x   3   ->   16 x   8 x   8         248',
      '    1 max             2 x 2 / 2    16 x   8 x   8   ->    8 x   4 x   8',
      '    2 conv         4  1 x 1 / 1     8 x   4 x   8   ->    8 x   4 x   4          36',
      '    3 route    2 1                  8 x   4 x   4   ->    8 x   4 x  12',
      '    4 reorg                 / 2     8 x   4 x  12   ->    4 x   2 x  48',
      '    5 upsample              / 2     4 x   2 x  48   ->    8 x   4 x  48',
      '    6 res      5 5                  8 x   4 x  48   ->    8 x   4 x  48',
      '    7 dropout                       8 x   4 x  48   ->    8 x   4 x  48',
      '    8 detection                     8 x   4 x  48   ->    8 x   4 x  48',
      'total parameters: 284',
    ]);
    built.model.dispose();
  });

  it('rejects anything but the layers of modelFromDarknetCfg', () => {
    expect(thrown(() => darknetLayerTable([{}] as never))).toBeInstanceOf(ValueError);
    expect(thrown(() => darknetLayerTable(null as never))).toBeInstanceOf(ValueError);
  });
});
