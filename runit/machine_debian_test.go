package runit_test

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/gorunit/gorunit/internal/testutil"
)

// debianRunit is Debian's runit 2.1.2, process 1 of a machine.
const debianRunit = "/sbin/runit"

// needDebianRunit skips a test when Debian's runit is not installed.
func needDebianRunit(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(debianRunit); err != nil {
		t.Skipf("no Debian runit (%s): apt-get install runit", debianRunit)
	}
}

// TestMachineLikeDebian boots the same stages under our runit -M and
// under Debian's runit: the stages run alike, the console reads the same
// after the booting line, and process 1 ends the same way.
func TestMachineLikeDebian(t *testing.T) {
	t.Parallel()
	needDebianRunit(t)
	tests := []struct {
		name  string
		files map[string]string
	}{
		{"in order", threeStages},
		{"reboot", with(map[string]string{"reboot": "#!", "1": script(`log 1; touch /run/runit.reboot; chmod 100 /run/runit.reboot`)})},
		{"stage 1 exits 100", with(map[string]string{"1": script("log 1; exit 100")})},
		{"stage 1 fails", with(map[string]string{"1": script("log 1; exit 1")})},
		{"stage 2 exits 111", with(map[string]string{"2": stage2Again("exit 111")})},
		{"stage 2 fails", with(map[string]string{"2": script("log 2; exit 3")})},
		{"no stage 2", with(map[string]string{"2": ""})},
		{"stage 2 ignores TERM", with(map[string]string{"2": script(
			`trap '' TERM; log 2; case $(readlink /proc/1/exe) in */sbin/runit) ` + debianInit + ` 0;; *) runit-init 0;; esac; while :; do sleep 0.1; done`)})},
		// Each with its own runit-init: Debian's sets /run/runit.stopit.
		{"runit-init 0", with(map[string]string{"2": stopStage2(
			`case $(readlink /proc/1/exe) in */sbin/runit) ` + debianInit + ` 0;; *) runit-init 0;; esac`)})},
		{"ctrlaltdel", with(map[string]string{
			"2":          ctrlAltDelStage2,
			"ctrlaltdel": script(`log ctrlaltdel; touch "$d/stopit" /run/runit.stopit; chmod 100 "$d/stopit" /run/runit.stopit`),
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ours := bootMachine(t, tt.files)
			debian := bootMachine(t, tt.files, debianRunit)
			osig, ocode := ours.wait(t)
			dsig, dcode := debian.wait(t)
			if osig != dsig || ocode != dcode {
				t.Errorf("process 1 ended by signal %d, exit %d; Debian's by %d, exit %d", osig, ocode, dsig, dcode)
			}
			if ours.log() != debian.log() {
				t.Errorf("stages logged %q; under Debian's %q", ours.log(), debian.log())
			}
			olines, dlines := ours.lines(t), debian.lines(t)
			if len(olines) == 0 || len(dlines) == 0 || !reflect.DeepEqual(olines[1:], dlines[1:]) {
				t.Errorf("console:\n%s\nDebian's:\n%s", strings.Join(olines, "\n"), strings.Join(dlines, "\n"))
			}
		})
	}
}

// TestMachineUnlikeDebian pins where runit 2.3.0, and so gorunit, differs
// from Debian's 2.1.2, which took a crash of a stage for exit 0: a
// crashed stage 1 skips stage 2 and a crashed stage 2 is started again,
// as runit(8) says; and no stage inherits CONT ignored (2.1.2) or PWR
// blocked (Debian's patch).
func TestMachineUnlikeDebian(t *testing.T) {
	t.Parallel()
	needDebianRunit(t)
	for _, tc := range []struct {
		name, stage, script string
		ours, debian        string // the stages logged
	}{
		// runit(8): a crashed stage 1 skips stage 2; 2.1.2 ran it anyway.
		{"stage 1 crashes", "1", script("log 1; kill -KILL $$"), "1\n3\n", "1\n2\n3\n"},
		// runit 2.3.0 starts a crashed stage 2 again; 2.1.2 went on to 3.
		{"stage 2 crashes", "2", stage2Again("kill -KILL $$"), "1\n2\n2\n3\n", "1\n2\n3\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			files := with(map[string]string{tc.stage: tc.script})
			ours := bootMachine(t, files)
			debian := bootMachine(t, files, debianRunit)
			ours.wait(t)
			debian.wait(t)
			if got := ours.log(); got != tc.ours {
				t.Errorf("stages logged %q, want %q", got, tc.ours)
			}
			if got := debian.log(); got != tc.debian {
				t.Errorf("under Debian's, stages logged %q, want %q (runit 2.1.2)", got, tc.debian)
			}
		})
	}
	t.Run("signal dispositions", func(t *testing.T) {
		t.Parallel()
		report := script(`log $(grep -E '^Sig(Ign|Blk)' /proc/$$/status)`)
		files := map[string]string{"1": report, "2": report, "3": report}
		ours := bootMachine(t, files)
		debian := bootMachine(t, files, debianRunit)
		ours.wait(t)
		debian.wait(t)
		inherited := testutil.InheritedIgnored(t) // make ignores 32 and 33
		if got, want := ours.log(), strings.Repeat(fmt.Sprintf("SigBlk: 0000000000000000 SigIgn: %016x\n", inherited), 3); got != want {
			t.Errorf("stages report %q, want %q", got, want)
		}
		// Debian's: CONT ignored (runit 2.1.2), PWR blocked (Debian's patch).
		ign := fmt.Sprintf("SigIgn: %016x", uint64(1)<<(syscall.SIGCONT-1)|inherited)
		blk := fmt.Sprintf("SigBlk: %016x", uint64(1)<<(syscall.SIGPWR-1))
		if got := debian.log(); strings.Count(got, ign) != 3 || !strings.Contains(got, blk) {
			t.Errorf("under Debian's, stages report %q; want %q in each, and %q", got, ign, blk)
		}
	})
}
