// A real run of this example's support desk (its framework's agent loop, a scripted model); the checks are
// the ones every support-desk example shares (../../_shared/support-desk-test.ts).
import { describeSupportDeskExample } from '../../_shared/support-desk-test.ts';
import { runSupportDesk } from './support-desk.ts';

describeSupportDeskExample({ framework: 'Strands', slug: 'strands', runSupportDesk });
