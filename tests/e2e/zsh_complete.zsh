# zsh -f zsh_complete.zsh DIR LINE...: the matches zsh's completion system (compinit, with DIR
# first in fpath) offers for each LINE with the cursor at its end: for each, a line "= LINE"
# then one line a match, as <match>.
#
# One zsh runs in a pseudo-terminal (zpty) and is sent each LINE and a TAB; its completion
# functions' compadd, wrapped, prints each match, between two NUL bytes the TAB prints; then
# the line is cleared (^U). Enter and ^J are unbound first: nothing typed is ever run.
zmodload zsh/zpty || exit 2
typeset -F SECONDS
dir=$1
shift

# What the zsh in the pseudo-terminal runs: compadd, wrapped ...
wrapped_compadd() {
	# a compadd that only asks (-O, -A, -D) adds nothing: passed on as it is
	if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
		builtin compadd "$@"
		return
	fi
	local -a __hits
	builtin compadd -A __hits "$@"
	(( $#__hits )) || return 1
	print -lr -- "<${^__hits[@]}>"
	builtin compadd "$@"
}
# ... and TAB: a NUL, the completion, a NUL (compprefuncs would be emptied after one use)
between_nuls() {
	print -n -- "\0"
	zle complete-word
	print -n -- "\0"
}

# a function's text, sent as one line (a TAB typed would complete)
one_line() {
	local body=${functions[$1]//$'\t'/ }
	print -r -- "$2() { ${body//$'\n'/; } }"
}

zpty z zsh -f -i
zpty -w z "PS1=''; fpath=(${(q)dir} \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z "$(one_line wrapped_compadd compadd)"
zpty -w z "$(one_line between_nuls between-nuls)"
zpty -w z 'zle -N between-nuls; bindkey -e; bindkey "^I" between-nuls'
zpty -w z 'bindkey "^U" kill-whole-line; bindkey "^M" undefined; bindkey "^J" undefined'
for line; do
	zpty -n -w z "$line"$'\t'
	out=
	(( until = SECONDS + 20 ))
	while (( SECONDS < until )); do
		part=
		zpty -r -t z part && out+=$part
		[[ $out == *$'\0'*$'\0'* ]] && break
		[[ -n $part ]] || sleep 0.01
	done
	if [[ $out != *$'\0'*$'\0'* ]]; then
		print -u2 "no completion came back for '$line'"
		zpty -d z
		exit 1
	fi
	out=${out#*$'\0'}
	print -r -- "= $line"
	print -r -- "${${out%%$'\0'*}//$'\r'/}"
	zpty -n -w z $'\x15'
done
zpty -d z
