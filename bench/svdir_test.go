package main

import (
	"os"
	"slices"
	"testing"
)

func TestDescendants(t *testing.T) {
	tree := procTree{children: map[int][]int{1: {2, 3}, 2: {4}, 4: {5}}}
	tests := []struct {
		name  string
		depth int
		want  []int
	}{
		{"children", 1, []int{2, 3}},
		{"two levels", 2, []int{2, 4, 3}},
		{"all", 0, []int{2, 4, 5, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tree.descendants(1, tt.depth); !slices.Equal(got, tt.want) {
				t.Errorf("descendants(1, %d) = %v, want %v", tt.depth, got, tt.want)
			}
		})
	}
}

func TestReadProcTreeSelf(t *testing.T) {
	tree := readProcTree()
	if !slices.Contains(tree.children[os.Getppid()], os.Getpid()) {
		t.Errorf("this process is not among its parent's children")
	}
	if _, ok := tree.cpu[os.Getpid()]; !ok {
		t.Errorf("no CPU time for this process")
	}
}
