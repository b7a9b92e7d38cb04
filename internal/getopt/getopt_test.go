package getopt

import (
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		opts     []Option
		operands []string
		err      string
	}{
		{"none", []string{"status", "x"}, nil, []string{"status", "x"}, ""},
		{"separate arg", []string{"-w", "7", "up", "x"}, []Option{{'w', "7"}}, []string{"up", "x"}, ""},
		{"glued arg", []string{"-w7", "up"}, []Option{{'w', "7"}}, []string{"up"}, ""},
		{"cluster then arg", []string{"-vw", "7", "up"}, []Option{{'v', ""}, {'w', "7"}}, []string{"up"}, ""},
		{"cluster glued", []string{"-vw7", "up"}, []Option{{'v', ""}, {'w', "7"}}, []string{"up"}, ""},
		{"double dash", []string{"-v", "--", "-w", "x"}, []Option{{'v', ""}}, []string{"-w", "x"}, ""},
		{"stops at operand", []string{"up", "-v"}, nil, []string{"up", "-v"}, ""},
		{"lone dash is operand", []string{"-", "x"}, nil, []string{"-", "x"}, ""},
		{"illegal", []string{"-x", "status"}, nil, []string{"-x", "status"}, "illegal option -- x"},
		{"missing arg", []string{"-v", "-w"}, []Option{{'v', ""}}, nil, "option requires an argument -- w"},
		{"colon is not an option", []string{"-:"}, nil, []string{"-:"}, "illegal option -- :"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, rest, err := Parse(tt.args, "w:vV")
			if !reflect.DeepEqual(opts, tt.opts) || !reflect.DeepEqual(rest, tt.operands) {
				t.Fatalf("Parse = %v %q, want %v %q", opts, rest, tt.opts, tt.operands)
			}
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tt.err {
				t.Fatalf("error = %q, want %q", gotErr, tt.err)
			}
		})
	}
}
