"""lenet.cli's parser, built from one small function per command."""

import pytest

from lenet import cli

EXAMPLES = {
    "data": (["data", "--dataset", "fashion"], "command_data"),
    "summary": (["summary", "--variant", "32x32"], "command_summary"),
    "train": (["train", "--preset", "quick", "--background"], "command_train"),
    "evaluate": (["evaluate", "--model", "m.keras"], "command_evaluate"),
    "predict": (["predict", "a.png", "b.png"], "command_predict"),
    "runs": (["runs"], "command_runs"),
    "stop": (["stop", "run-1", "--timeout", "5"], "command_stop"),
    "bundle": (["bundle", "run-1"], "command_bundle"),
    "refit-likeness": (["refit-likeness", "--model", "m.keras"], "command_refit_likeness"),
    "my-digits": (["my-digits", "export", "out.npz"], "command_my_digits"),
    "bench": (["bench", "--presets", "--dataset", "mnist"], "command_bench"),
}


def test_each_command_adds_exactly_one_subcommand_in_the_help_order():
    parser = cli.build_parser()
    commands = next(action for action in parser._actions if action.dest == "==SUPPRESS==" or action.choices)
    assert list(commands.choices) == list(EXAMPLES)
    assert len(cli.COMMANDS) == len(EXAMPLES)


@pytest.mark.parametrize("command", EXAMPLES)
def test_each_command_parses_its_arguments_to_its_handler(command):
    argv, handler = EXAMPLES[command]
    arguments = cli.build_parser().parse_args(argv)
    assert arguments.handler.__name__ == handler


def test_the_commands_keep_their_arguments_and_defaults():
    parser = cli.build_parser()
    assert parser.parse_args(["stop", "run-1"]).timeout == 60.0
    assert parser.parse_args(["predict", "a.png", "b.png"]).images == ["a.png", "b.png"]
    assert parser.parse_args(["my-digits", "list"]).file is None
    with pytest.raises(SystemExit):
        parser.parse_args(["my-digits", "rename"])
    with pytest.raises(SystemExit):
        parser.parse_args([])
